/** The one method of the platform's `TextEncoder` used here (declared so this package needs no DOM or Node types). */
interface Utf8Encoder {
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

/** The runtime's native UTF-8 encoder (every current JavaScript runtime has one), with a reused scratch buffer. */
const nativeEncoder: { encoder: Utf8Encoder; scratch: Uint8Array } | undefined = (() => {
  const Encoder = (globalThis as { TextEncoder?: new () => Utf8Encoder }).TextEncoder;
  return typeof Encoder === 'function'
    ? { encoder: new Encoder(), scratch: new Uint8Array(64 * 1024) }
    : undefined;
})();

/** Bytes of a string once encoded as UTF-8 (lone surrogates count as U+FFFD, 3 bytes, as encoders write them). */
export function utf8Length(text: string): number {
  if (nativeEncoder === undefined) return countUtf8(text);
  // The native encoder counts about ten times faster than a loop in JavaScript; long strings go in pieces
  // (`read` never ends inside a surrogate pair).
  const { encoder, scratch } = nativeEncoder;
  let bytes = 0;
  let rest = text;
  for (;;) {
    const { read, written } = encoder.encodeInto(rest, scratch);
    bytes += written;
    if (read >= rest.length) return bytes;
    if (read === 0) return bytes + countUtf8(rest);
    rest = rest.slice(read);
  }
}

function countUtf8(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** The size the outbox and progress events count for a record: its JSON encoding in UTF-8 bytes. */
export function recordByteSize(record: object): number {
  return utf8Length(JSON.stringify(record));
}
