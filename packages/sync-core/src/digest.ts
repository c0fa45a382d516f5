/**
 * Record digests for `verify`, defined so that Postgres computes the same value natively:
 *
 *   recordDigest = ('x' || left(md5(table || ':' || id || ':' || version || ':' || deleted), 8))::bit(32)::bigint
 *
 * i.e. the first 32 bits of the md5 of `${table}:${id}:${version}:${deleted ? 1 : 0}` (UTF-8) read as an
 * unsigned big-endian integer, and a table checksum is the sum of the digests of its live records mod 2^32.
 */
import type { TableSummary } from './ports.js';
import { utf8 } from './size.js';

const SHIFTS = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
  21, 6, 10, 15, 21,
];
const SINES = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** MD5 (RFC 1321) of bytes, as 16 bytes. */
export function md5(input: Uint8Array | string): Uint8Array {
  const bytes = typeof input === 'string' ? utf8(input) : input;
  const bitLength = bytes.length * 8;
  const paddedLength = (((bytes.length + 8) >> 6) + 1) * 64;
  const buffer = new Uint8Array(paddedLength);
  buffer.set(bytes);
  buffer[bytes.length] = 0x80;
  const view = new DataView(buffer.buffer);
  view.setUint32(paddedLength - 8, bitLength >>> 0, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 2 ** 32), true);

  let a0 = 0x67452301;
  let b0 = 0xefcdab89;
  let c0 = 0x98badcfe;
  let d0 = 0x10325476;
  const words = new Uint32Array(16);
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) words[i] = view.getUint32(offset + i * 4, true);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const sum = (a + f + (SINES[i] as number) + (words[g] as number)) >>> 0;
      const shift = SHIFTS[i] as number;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) >>> 0;
    }
    a0 = (a0 + a) >>> 0;
    b0 = (b0 + b) >>> 0;
    c0 = (c0 + c) >>> 0;
    d0 = (d0 + d) >>> 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, a0, true);
  outView.setUint32(4, b0, true);
  outView.setUint32(8, c0, true);
  outView.setUint32(12, d0, true);
  return out;
}

export function md5Hex(input: Uint8Array | string): string {
  return Array.from(md5(input), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** First 32 bits of md5(`${table}:${id}:${version}:${deleted ? 1 : 0}`) as an unsigned integer. */
export function recordDigest(table: string, id: string, version: number, deleted: boolean): number {
  const hash = md5(`${table}:${id}:${version}:${deleted ? 1 : 0}`);
  return new DataView(hash.buffer).getUint32(0, false);
}

/** Adds a digest to a running checksum, mod 2^32. */
export function addToChecksum(checksum: number, digest: number): number {
  return (checksum + digest) % 2 ** 32;
}

/** Summaries of records per table, the same definition the server uses (see `TableSummary`). */
export function summarizeRecords(
  tables: readonly string[],
  records: Iterable<{ table: string; id: string; version: number; deletedAt: string | null }>,
): TableSummary[] {
  const byTable = new Map<string, TableSummary>(
    tables.map((table) => [table, { table, count: 0, deleted: 0, checksum: 0 }]),
  );
  for (const record of records) {
    const summary = byTable.get(record.table);
    if (!summary) continue;
    if (record.deletedAt !== null) {
      summary.deleted += 1;
    } else {
      summary.count += 1;
      summary.checksum = addToChecksum(
        summary.checksum,
        recordDigest(record.table, record.id, record.version, false),
      );
    }
  }
  return tables.map((table) => byTable.get(table) as TableSummary);
}
