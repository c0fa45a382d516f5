/**
 * UTF-8, once: the encoder the record digests hash (`utf8`) and the byte length the outbox counts
 * (`utf8Length`). Lone surrogates become U+FFFD (3 bytes), as every platform encoder writes them.
 */

/** The methods of the platform's `TextEncoder` used here (declared so this package needs no DOM or Node types). */
interface Utf8Encoder {
  encode(source: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

/** The runtime's native UTF-8 encoder (every current JavaScript runtime has one), with a reused scratch buffer. */
const nativeEncoder: { encoder: Utf8Encoder; scratch: Uint8Array } | undefined = (() => {
  const Encoder = (globalThis as { TextEncoder?: new () => Utf8Encoder }).TextEncoder;
  return typeof Encoder === 'function'
    ? { encoder: new Encoder(), scratch: new Uint8Array(64 * 1024) }
    : undefined;
})();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as in `TextEncoder`). */
export function utf8(text: string): Uint8Array {
  return nativeEncoder ? nativeEncoder.encoder.encode(text) : encodeUtf8(text);
}

/** Bytes of a string once encoded as UTF-8 (lone surrogates count as U+FFFD, 3 bytes, as encoders write them). */
export function utf8Length(text: string): number {
  if (nativeEncoder === undefined) return encodeUtf8(text).length;
  // The native encoder counts about ten times faster than a loop in JavaScript; long strings go in pieces
  // (`read` never ends inside a surrogate pair).
  const { encoder, scratch } = nativeEncoder;
  let bytes = 0;
  let rest = text;
  for (;;) {
    const { read, written } = encoder.encodeInto(rest, scratch);
    bytes += written;
    if (read >= rest.length) return bytes;
    if (read === 0) return bytes + encodeUtf8(rest).length;
    rest = rest.slice(read);
  }
}

/** The encoder in JavaScript, for a runtime without `TextEncoder`. */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        code = 0xfffd;
      }
    } else if (code >= 0xd800 && code <= 0xdfff) {
      code = 0xfffd;
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else
      out.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
  }
  return Uint8Array.from(out);
}

/** The size the outbox and progress events count for a record: its JSON encoding in UTF-8 bytes. */
export function recordByteSize(record: object): number {
  return utf8Length(JSON.stringify(record));
}

/** Sizes of records measured by `measuredRecordSize`, for as long as the record object lives. */
const measuredSizes = new WeakMap<object, number>();

/**
 * `recordByteSize`, remembered per record object: an outbox record is measured by the store that reads it (to
 * keep a batch under its byte cap) and again by the push that sends it; with this the second is a lookup, not a
 * second JSON encoding of the record. Only for records nobody changes after reading them (the outbox's).
 */
export function measuredRecordSize(record: object): number {
  let size = measuredSizes.get(record);
  if (size === undefined) {
    size = recordByteSize(record);
    measuredSizes.set(record, size);
  }
  return size;
}
