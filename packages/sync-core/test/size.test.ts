import { describe, expect, it } from 'vitest';
import { measuredRecordSize, recordByteSize, utf8, utf8Length } from '../src/index.js';
import { encodeUtf8 } from '../src/size.js';
import { seededRandom } from '../src/testing/index.js';

describe('utf8Length', () => {
  it('equals the UTF-8 byte count of long strings whose multi-byte characters straddle the encoder’s pieces', () => {
    const random = seededRandom(7);
    const alphabet = ['a', 'é', '€', '😀', '\ud800', '\udc00', '"', '\n'];
    for (const length of [0, 1, 21_845, 21_846, 65_535, 65_536, 65_537, 200_003]) {
      const parts: string[] = [];
      let size = 0;
      while (size < length) {
        const piece = alphabet[random.int(alphabet.length)] as string;
        parts.push(piece);
        size += piece.length;
      }
      const text = parts.join('');
      expect(utf8Length(text), `length ${length}`).toBe(Buffer.byteLength(text, 'utf8'));
    }
    // All four-byte characters, more than one scratch buffer's worth.
    const emoji = '😀'.repeat(40_000);
    expect(utf8Length(emoji)).toBe(160_000);
  });

  it('recordByteSize is the UTF-8 size of the record’s JSON', () => {
    const record = { table: 'turns', id: 'é-1', payload: { content: 'naïve ☕ 😀'.repeat(5_000) } };
    expect(recordByteSize(record)).toBe(Buffer.byteLength(JSON.stringify(record), 'utf8'));
  });

  it('the JavaScript encoder (no TextEncoder) writes the bytes the platform encoder writes', () => {
    const random = seededRandom(11);
    const alphabet = ['a', 'é', '€', '😀', '\ud800', '\udc00', '\udbff\udfff', '\u07ff', '\u0800', '\n'];
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: random.int(40) }, () => alphabet[random.int(alphabet.length)]).join(
        '',
      );
      expect(Buffer.from(encodeUtf8(text)).equals(Buffer.from(text, 'utf8')), JSON.stringify(text)).toBe(
        true,
      );
      expect(Buffer.from(utf8(text)).equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });
});

describe('measuredRecordSize', () => {
  it('is recordByteSize, measured once per record object', () => {
    const record = { table: 'turns', id: 't-1', payload: { content: 'naïve ☕ 😀'.repeat(100) } };
    const size = recordByteSize(record);
    expect(measuredRecordSize(record)).toBe(size);
    // Remembered for this object: a second call does not encode it again.
    const stringify = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      calls += 1;
      return stringify(...args);
    }) as typeof JSON.stringify;
    try {
      expect(measuredRecordSize(record)).toBe(size);
      expect(calls).toBe(0);
      // Another object with the same content is measured on its own.
      expect(measuredRecordSize({ ...record })).toBe(size);
      expect(calls).toBe(1);
    } finally {
      JSON.stringify = stringify;
    }
  });
});
