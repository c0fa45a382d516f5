import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface LineVisit {
  /** The line's text without the newline (a trailing `\r` is kept out too). */
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset just after this line's newline (where a later read resumes). */
  end: number;
}

/** A line longer than the cap: skipped without being held in memory, reported with its size. */
export interface TooLongLine {
  /** 1-based line number in the file. */
  line: number;
  /** The line's length in bytes, without its newline. */
  bytes: number;
  /** Byte offset just after this line's newline. */
  end: number;
}

export interface LineReadResult {
  /** Byte offset after the last line handed out (or skipped as too long): the resume point. */
  offset: number;
  /** Number of the last line handed out (0 when none). */
  line: number;
  /** File size seen when reading started. */
  size: number;
  /** Bytes copied to join lines that span read chunks (each such line is copied once). */
  bytesCopied: number;
  /** The most bytes of one unfinished line held in memory at once. */
  maxLineBytesHeld: number;
}

/**
 * The longest line the importer reads: 64 MiB. Claude Code's largest lines (a big file read or pasted, an image as
 * base64) stay far below it; a longer line is not a message a person could read back, and holding it would let one
 * corrupt or hostile file take gigabytes of memory (a JavaScript string cannot exceed about 512 MiB anyway).
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface LineReadOptions {
  /** Lines above this many bytes are skipped and reported (default `MAX_LINE_BYTES`). */
  maxLineBytes?: number;
  /** Called for each line above the cap, in file order with the other lines. */
  onTooLong?: (line: TooLongLine) => void;
}

const CHUNK = 1 << 20;

/**
 * The first chunk buffer of every read on this thread, kept between files (the read in progress takes it and gives
 * it back at its end). A fresh 1 MiB buffer for every file, whatever its size, is freed by the garbage collector
 * in glibc's heap arenas, which it leaves fragmented: the first import of `pnpm bench`'s 208 MB tree peaked at
 * 137 MB resident with one, 131 MB with this; the 5× tree's at 168 MB and 164 MB.
 */
let spareBuffer: Buffer | null = null;

/**
 * Reads a file line by line from `fromOffset`, in fixed-size chunks, never holding the whole file.
 * The file is opened read-only. A last line without a newline is handed out only when `acceptTail`
 * says it is complete (e.g. it parses as JSON); otherwise it is left for a later read.
 *
 * A line that spans chunks is kept as a list of the chunks' parts and joined once at its newline, so assembling
 * it costs its length, not its length times the number of chunks. A line above the cap is dropped as soon as it
 * passes the cap; the bytes up to its newline are read and discarded, then it is reported to `onTooLong` and
 * reading goes on after it. An unfinished line above the cap at the end of the file is left for a later read,
 * like any unfinished line.
 */
export function readLinesFrom(
  path: string,
  fromOffset: number,
  firstLineNumber: number,
  visit: (line: LineVisit) => void,
  acceptTail: (text: string) => boolean = () => false,
  options: LineReadOptions = {},
): LineReadResult {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const first = spareBuffer ?? Buffer.allocUnsafeSlow(CHUNK);
  spareBuffer = null;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let position = fromOffset;
    let lineNumber = firstLineNumber;
    let offset = fromOffset;
    /** File offset where the line being assembled starts. */
    let lineStart = fromOffset;
    /** Parts of the unfinished line, each a view of a chunk that is no longer reused. */
    let parts: Buffer[] = [];
    let partsBytes = 0;
    /** The unfinished line passed the cap: its bytes are discarded until its newline. */
    let skipping = false;
    let bytesCopied = 0;
    let maxLineBytesHeld = 0;
    let buffer = first;
    while (position < size) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
      if (n <= 0) break;
      const chunk = buffer.subarray(0, n);
      const chunkStart = position;
      position += n;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl === -1) break;
        lineNumber++;
        const end = chunkStart + nl + 1;
        const bytes = end - 1 - lineStart;
        if (skipping || bytes > maxLineBytes) {
          options.onTooLong?.({ line: lineNumber, bytes, end });
        } else if (parts.length === 0) {
          let endText = nl;
          if (endText > start && chunk[endText - 1] === 13) endText--;
          visit({ text: chunk.toString('utf8', start, endText), line: lineNumber, end });
        } else {
          parts.push(chunk.subarray(start, nl));
          const whole = Buffer.concat(parts, partsBytes + nl - start);
          bytesCopied += whole.length;
          const endText =
            whole.length > 0 && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length;
          visit({ text: whole.toString('utf8', 0, endText), line: lineNumber, end });
        }
        parts = [];
        partsBytes = 0;
        skipping = false;
        offset = end;
        lineStart = end;
        start = nl + 1;
      }
      if (start < n && !skipping) {
        if (partsBytes + (n - start) > maxLineBytes) {
          skipping = true;
          parts = [];
          partsBytes = 0;
        } else {
          // The chunk's tail stays in the list; the next read goes to a new buffer instead of copying it.
          parts.push(chunk.subarray(start));
          partsBytes += n - start;
          if (partsBytes > maxLineBytesHeld) maxLineBytesHeld = partsBytes;
          buffer = Buffer.allocUnsafe(CHUNK);
        }
      }
    }
    if (!skipping && partsBytes > 0) {
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partsBytes);
      if (parts.length > 1) bytesCopied += whole.length;
      const text = whole.toString('utf8');
      if (text.trim().length > 0 && acceptTail(text)) {
        lineNumber++;
        offset = lineStart + partsBytes;
        visit({ text, line: lineNumber, end: offset });
      }
    }
    return { offset, line: lineNumber, size, bytesCopied, maxLineBytesHeld };
  } finally {
    closeSync(fd);
    // Nothing refers to it now: every line's text, and a tail handed to `acceptTail`, is a copy.
    spareBuffer = first;
  }
}

/**
 * Reads a file that is one JSON document (an agent rewrites it whole) and hands its whole text out as line 1.
 * The file is opened read-only; a file above the line cap is reported to `onTooLong` instead.
 */
export function readWholeFile(
  path: string,
  visit: (line: LineVisit) => void,
  onTooLong?: (line: TooLongLine) => void,
  maxBytes = MAX_LINE_BYTES,
): LineReadResult {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) {
      onTooLong?.({ line: 1, bytes: size, end: size });
      return { offset: size, line: 1, size, bytesCopied: 0, maxLineBytesHeld: 0 };
    }
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n <= 0) break;
      read += n;
    }
    const text = buffer.toString('utf8', 0, read);
    if (text.trim().length > 0) visit({ text, line: 1, end: read });
    return { offset: read, line: 1, size, bytesCopied: 0, maxLineBytesHeld: read };
  } finally {
    closeSync(fd);
  }
}
