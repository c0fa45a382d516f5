import { deriveKey, newKdfParams } from '@agentlogs/content-policy';
import { describe, expect, it } from 'vitest';
import { parseOlderThan } from '../src/commands/sync-prune.js';
import { planQuota } from '../src/settings.js';
import type { ResolvedContentPolicy } from '../src/sync/policy.js';
import { quotaReport, quotaWarning } from '../src/sync/quota.js';
import { visualFileName, visualsUploadAllowed } from '../src/sync/visuals.js';

const MB = 1024 * 1024;

function footprint(databaseBytes: number, storageBytes: number) {
  return {
    tables: [
      { table: 'turns', rows: 10, bytes: databaseBytes - 1000 },
      { table: 'sessions', rows: 1, bytes: 1000 },
    ],
    storage: { objects: 3, bytes: storageBytes },
  };
}

describe('the plan and the quota warning', () => {
  it('reads free, pro and a size in MB', () => {
    expect(planQuota(undefined)).toEqual({ name: 'free', databaseBytes: 500 * MB, storageBytes: 1024 * MB });
    expect(planQuota('pro')).toEqual({ name: 'pro', databaseBytes: 8192 * MB, storageBytes: 102400 * MB });
    expect(planQuota('2000')).toEqual({ name: '2000 MB', databaseBytes: 2000 * MB, storageBytes: 1024 * MB });
  });

  it('warns from 75% of either quota, says which and how to shrink', () => {
    const free = planQuota('free');
    expect(quotaWarning(quotaReport(footprint(370 * MB, 0), free))).toBeNull();
    const at75 = quotaWarning(quotaReport(footprint(380 * MB, 0), free));
    expect(at75).toMatch(/76% of the database quota of the free plan \(over 75%\)/);
    for (const way of ['sync.content', 'sync.exclude', 'sync prune --older-than 180d'])
      expect(at75).toContain(way);
    expect(quotaWarning(quotaReport(footprint(10 * MB, 950 * MB), free))).toMatch(
      /of the storage quota of the free plan \(over 90%\)/,
    );
    const report = quotaReport(footprint(100 * MB, 10 * MB), free);
    expect(report.database).toEqual({ bytes: 100 * MB, quota: 500 * MB, percent: 20 });
  });
});

describe('which images may leave', () => {
  const policy = (level: 'metrics' | 'redacted' | 'full', extra: object = {}) =>
    ({ level, source: 'profile', exclude: [], ...extra }) as ResolvedContentPolicy;

  it('only at full; sealed when encryption is on; never from a machine without the key', async () => {
    const plain = { kind: 'plain' } as const;
    expect(visualsUploadAllowed(policy('full'), plain).allowed).toBe(true);
    expect(visualsUploadAllowed(policy('redacted'), plain)).toEqual({
      allowed: false,
      reason: 'images stay on this machine at content level redacted (they are uploaded at full)',
    });
    expect(visualsUploadAllowed(policy('metrics'), plain).allowed).toBe(false);
    const key = await deriveKey('amber lantern quietly folds', newKdfParams({ N: 2 ** 14 }));
    const sealed = { kind: 'sealed', key } as const;
    expect(visualsUploadAllowed(policy('full'), sealed).allowed).toBe(true);
    expect(visualsUploadAllowed(policy('redacted'), sealed).allowed).toBe(false);
    const locked = visualsUploadAllowed(policy('full'), { kind: 'locked' });
    expect(locked.allowed).toBe(false);
    expect(locked.reason).toContain('no key');
    // The object name of a sealed image is a keyed hash: the plain SHA-256 is not in it.
    const sha = 'a'.repeat(64);
    expect(visualFileName(plain, sha, 'png')).toBe(`${sha}.png`);
    expect(visualFileName(sealed, sha, 'png')).toMatch(/^[0-9a-f]{64}\.enc$/);
    expect(visualFileName(sealed, sha, 'png')).not.toContain(sha);
    expect(visualFileName({ kind: 'locked' }, sha, 'png')).toBeNull();
  });
});

describe('sync prune --older-than', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  it('takes days, weeks, months and past dates', () => {
    expect(parseOlderThan('180d', now).toISOString()).toBe('2026-06-07T12:00:00.000Z');
    expect(parseOlderThan('2w', now).toISOString()).toBe('2026-11-20T12:00:00.000Z');
    expect(parseOlderThan('6m', now).toISOString()).toBe('2026-06-07T12:00:00.000Z');
    expect(parseOlderThan('2026-01-01', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses anything else in one line', () => {
    for (const bad of ['', '0d', 'soon', '2030-01-01', '180']) {
      expect(() => parseOlderThan(bad, now)).toThrow(/--older-than/);
    }
  });
});
