import { describe, expect, it } from 'vitest';
import {
  RateLimitedError,
  type RetryWait,
  retrying,
  SchemaMismatchError,
  ServerUnavailableError,
} from '../src/index.js';

describe('retrying', () => {
  const noSleep = { sleep: async () => undefined, random: () => 0.5 };

  it('runs again after transient failures, with the backoff delays, until it succeeds', async () => {
    const waits: RetryWait[] = [];
    let calls = 0;
    const result = await retrying(
      async (attempt) => {
        calls += 1;
        expect(attempt).toBe(calls);
        if (calls < 3) throw new ServerUnavailableError('down');
        return 'done';
      },
      {
        ...noSleep,
        policy: { baseMs: 10, maxMs: 1000, jitter: 0, retries: 4 },
        onWait: (w) => waits.push(w),
      },
    );
    expect(result).toBe('done');
    expect(waits.map((w) => [w.attempt, w.retries, w.delayMs])).toEqual([
      [1, 4, 10],
      [2, 4, 20],
    ]);
  });

  it('gives up after `retries` retries and throws the last failure', async () => {
    let calls = 0;
    const failure = retrying(
      async () => {
        calls += 1;
        throw new ServerUnavailableError(`down ${calls}`);
      },
      { ...noSleep, policy: { baseMs: 1, retries: 2 } },
    );
    await expect(failure).rejects.toThrow('down 3');
    expect(calls).toBe(3);
  });

  it('never retries a permanent failure, and retries nothing by default', async () => {
    let calls = 0;
    await expect(
      retrying(
        async () => {
          calls += 1;
          throw new SchemaMismatchError('apply the schema');
        },
        { ...noSleep, policy: { retries: 5 } },
      ),
    ).rejects.toThrow('apply the schema');
    await expect(
      retrying(async () => {
        calls += 1;
        throw new ServerUnavailableError('down');
      }, noSleep),
    ).rejects.toThrow('down');
    expect(calls).toBe(2);
  });

  it('waits at least Retry-After, and a custom predicate decides what is retried', async () => {
    const slept: number[] = [];
    let calls = 0;
    await retrying(
      async () => {
        calls += 1;
        if (calls === 1) throw new RateLimitedError('slow down', { retryAfterMs: 5000 });
        if (calls === 2) throw new Error('flaky');
      },
      {
        sleep: async (ms: number) => {
          slept.push(ms);
        },
        random: () => 0.5,
        policy: { baseMs: 10, jitter: 0, retries: 3 },
        retryable: () => true,
      },
    );
    expect(slept).toEqual([5000, 20]);
  });
});
