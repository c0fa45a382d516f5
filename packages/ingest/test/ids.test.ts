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
  it('gives ids that depend only on the natural key', () => {
    expect(rowId.claudeTurn('s1', 'u1')).toBe(uuidV5('claude:turn:s1:u1'));
    expect(rowId.claudeTurn('s1', 'u1')).not.toBe(rowId.claudeTurn('s1', 'u2'));
    expect(rowId.claudeSession('s1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
