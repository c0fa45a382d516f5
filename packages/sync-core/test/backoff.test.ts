import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoffPolicy } from '../src/index.js';

describe('backoff', () => {
  it('doubles from 15 s and caps at 5 min (no jitter at the midpoint)', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((attempt) => backoffDelay(attempt, mid))).toEqual([
      15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000,
    ]);
  });

  it('jitters within ±20 % and never above the cap', () => {
    for (const r of [0, 0.25, 0.75, 0.999]) {
      const first = backoffDelay(1, () => r);
      expect(first).toBeGreaterThanOrEqual(12_000);
      expect(first).toBeLessThanOrEqual(18_000);
      expect(backoffDelay(10, () => r)).toBeLessThanOrEqual(defaultBackoffPolicy.maxMs);
      expect(backoffDelay(10, () => r)).toBeGreaterThanOrEqual(240_000);
    }
    expect(backoffDelay(1, () => 0)).not.toBe(backoffDelay(1, () => 0.999));
  });

  it('honours Retry-After when it is longer than the backoff', () => {
    expect(backoffDelay(1, () => 0.5, defaultBackoffPolicy, 90_000)).toBe(90_000);
    expect(backoffDelay(3, () => 0.5, defaultBackoffPolicy, 1_000)).toBe(60_000);
  });

  it('takes a configurable base (tests use milliseconds)', () => {
    expect(backoffDelay(3, () => 0.5, { baseMs: 10, maxMs: 50, jitter: 0 })).toBe(40);
    expect(backoffDelay(4, () => 0.5, { baseMs: 10, maxMs: 50, jitter: 0 })).toBe(50);
  });
});
