import { getDefaultRuleset } from '@agentlogs/content-policy';
import { outgoingPayload } from '@agentlogs/local-store';
import { describe, expect, it } from 'vitest';
import { plantSecrets } from '../src/content-bench.js';
import { benchTurnRows } from '../src/sync-bench.js';

describe('content bench rows', () => {
  const records = benchTurnRows(500, 1);
  const planted = plantSecrets(records, 1);

  it('one row in 25 holds a planted secret (a row without text or tool calls none), the same ones for the same seed', () => {
    expect(planted.length).toBeGreaterThanOrEqual(15);
    expect(planted.length).toBeLessThanOrEqual(20);
    expect(plantSecrets(benchTurnRows(500, 1), 1)).toEqual(planted);
    const all = JSON.stringify(records.map((r) => r.payload));
    for (const secret of planted) expect(all).toContain(secret);
  });

  it('at redacted none of them leaves, and the rows that held one say so', () => {
    const ruleset = getDefaultRuleset();
    let redacted = 0;
    const out = records.map((r) => {
      const result = outgoingPayload(
        'turns',
        r.id,
        { ...r.payload, content_state: null },
        'redacted',
        ruleset,
      );
      if (typeof result.payload.content_state === 'string') redacted += 1;
      return result.payload;
    });
    const all = JSON.stringify(out);
    for (const secret of planted) expect(all).not.toContain(secret);
    expect(all).toContain('[REDACTED:');
    expect(redacted).toBeGreaterThanOrEqual(planted.length);
  });
});
