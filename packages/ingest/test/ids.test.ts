import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AGENTLOGS_NAMESPACE, rowId, uuidV5 } from '../src/ids.js';

describe('uuidV5', () => {
  it('matches the RFC 9562 v5 construction (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });
  it('derives the agentlogs namespace from the URL namespace and "agentlogs"', () => {
    expect(uuidV5('agentlogs', '6ba7b811-9dad-11d1-80b4-00c04fd430c8')).toBe(AGENTLOGS_NAMESPACE);
  });
  it('gives the same id for short, multi-byte and long names as the streaming hash does', () => {
    const reference = (name: string) => {
      const hash = createHash('sha1')
        .update(Buffer.from(AGENTLOGS_NAMESPACE.replaceAll('-', ''), 'hex'))
        .update(name, 'utf8')
        .digest();
      hash[6] = (hash[6]! & 0x0f) | 0x50;
      hash[8] = (hash[8]! & 0x3f) | 0x80;
      const hex = hash.toString('hex', 0, 16);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    };
    for (const name of [
      '',
      'claude:turn:s1:u1',
      'project:/home/ü/日本語/😀',
      '€'.repeat(1024),
      'x'.repeat(5000),
    ])
      expect(uuidV5(name)).toBe(reference(name));
    // The scratch buffer of one id never leaks into the next.
    expect(uuidV5('project:/a')).toBe(reference('project:/a'));
  });
  it('gives ids that depend only on the natural key', () => {
    expect(rowId.claudeTurn('s1', 'u1')).toBe(uuidV5('claude:turn:s1:u1'));
    expect(rowId.claudeTurn('s1', 'u1')).not.toBe(rowId.claudeTurn('s1', 'u2'));
    expect(rowId.claudeSession('s1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
