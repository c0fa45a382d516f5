import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface LineVisit {
  /** The line's text without the newline (a trailing `\r` is kept out too). */
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset just after this line's newline (where a later read resumes). */
  end: number;
}

export interface LineReadResult {
  /** Byte offset after the last line handed out: the resume point. */
  offset: number;
  /** Number of the last line handed out (0 when none). */
  line: number;
  /** File size seen when reading started. */
  size: number;
}

const CHUNK = 1 << 20;

/**
 * Reads a file line by line from `fromOffset`, in fixed-size chunks, never holding the whole file.
 * The file is opened read-only. A last line without a newline is handed out only when `acceptTail`
 * says it is complete (e.g. it parses as JSON); otherwise it is left for a later read.
 */
export function readLinesFrom(
  path: string,
  fromOffset: number,
  firstLineNumber: number,
  visit: (line: LineVisit) => void,
  acceptTail: (text: string) => boolean = () => false,
): LineReadResult {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let position = fromOffset;
    let lineNumber = firstLineNumber;
    let carry: Buffer | null = null;
    let carryStart = position;
    let offset = fromOffset;
    const buffer = Buffer.allocUnsafe(CHUNK);
    while (position < size) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
      if (n <= 0) break;
      let chunk: Buffer = buffer.subarray(0, n);
      let chunkStart = position;
      position += n;
      if (carry) {
        chunk = Buffer.concat([carry, chunk]);
        chunkStart = carryStart;
        carry = null;
      }
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl === -1) break;
        let endText = nl;
        if (endText > start && chunk[endText - 1] === 13) endText--;
        lineNumber++;
        offset = chunkStart + nl + 1;
        visit({ text: chunk.toString('utf8', start, endText), line: lineNumber, end: offset });
        start = nl + 1;
      }
      if (start < chunk.length) {
        carry = Buffer.from(chunk.subarray(start));
        carryStart = chunkStart + start;
      }
    }
    if (carry && carry.length > 0) {
      const text = carry.toString('utf8');
      if (text.trim().length > 0 && acceptTail(text)) {
        lineNumber++;
        offset = carryStart + carry.length;
        visit({ text, line: lineNumber, end: offset });
      }
    }
    return { offset, line: lineNumber, size };
  } finally {
    closeSync(fd);
  }
}
