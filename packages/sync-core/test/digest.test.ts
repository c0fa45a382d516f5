import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5Hex, recordDigest, summarizeRecords, utf8, utf8Length } from '../src/index.js';
import { seededRandom } from '../src/testing/index.js';

describe('record digest', () => {
  it('md5 matches node:crypto on ASCII, multi-byte, astral and long inputs', () => {
    const random = seededRandom(3);
    const samples = [
      '',
      'a',
      'abc',
      'turns:x:1:0',
      'é😀中'.repeat(50),
      'x'.repeat(55),
      'x'.repeat(56),
      'x'.repeat(64),
      'y'.repeat(1000),
    ];
    for (let i = 0; i < 200; i++) {
      samples.push(
        Array.from({ length: random.int(150) }, () => String.fromCodePoint(random.int(0x2ffff) + 1)).join(''),
      );
    }
    for (const text of samples) {
      expect(md5Hex(text)).toBe(createHash('md5').update(text, 'utf8').digest('hex'));
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
      expect(Buffer.from(utf8(text)).equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });

  it('recordDigest is the first 32 bits of md5("table:id:version:deleted") as an unsigned integer', () => {
    const hex = createHash('md5').update('turns:6f1c0a4e-0000-4000-8000-000000000001:3:1').digest('hex');
    expect(recordDigest('turns', '6f1c0a4e-0000-4000-8000-000000000001', 3, true)).toBe(
      Number.parseInt(hex.slice(0, 8), 16),
    );
    expect(recordDigest('t', 'i', 1, false)).toBeGreaterThanOrEqual(0);
  });

  it('table checksums sum live records mod 2^32 and ignore order; tombstones are only counted', () => {
    const records = Array.from({ length: 500 }, (_, i) => ({
      table: i % 2 ? 'turns' : 'sessions',
      id: `id-${i}`,
      version: 1 + (i % 4),
      deletedAt: i % 7 === 0 ? '2026-01-01T00:00:00Z' : null,
    }));
    const forward = summarizeRecords(['sessions', 'turns', 'empty'], records);
    const backward = summarizeRecords(['sessions', 'turns', 'empty'], [...records].reverse());
    expect(backward).toEqual(forward);
    let expected = 0n;
    for (const r of records)
      if (r.table === 'turns' && r.deletedAt === null)
        expected += BigInt(recordDigest(r.table, r.id, r.version, false));
    expect(forward[1]).toEqual({
      table: 'turns',
      count: records.filter((r) => r.table === 'turns' && !r.deletedAt).length,
      deleted: records.filter((r) => r.table === 'turns' && r.deletedAt).length,
      checksum: Number(expected % 2n ** 32n),
    });
    expect(forward[2]).toEqual({ table: 'empty', count: 0, deleted: 0, checksum: 0 });
  });
});
