/**
 * The one retry loop: runs an operation, and after a transient failure waits the backoff delay (never less
 * than the server's `Retry-After`) and runs it again, at most `retries` more times. The engine's `sync()`
 * and hosts (the agentlogs CLI around `push`, `pull` and its own server calls) both use it, so every retry
 * follows the same policy.
 */
import { type BackoffPolicy, backoffDelay, defaultBackoffPolicy } from './backoff.js';
import { systemClock, systemRandom } from './clock.js';
import { isSyncError } from './errors.js';
import type { AbortSignalLike, Random } from './ports.js';

export interface RetryPolicy extends BackoffPolicy {
  /** Retries after the first attempt. Default 0 (no retry). */
  retries: number;
}

export const defaultRetryPolicy: RetryPolicy = { ...defaultBackoffPolicy, retries: 0 };

/** One wait between two attempts, as `onWait` sees it. */
export interface RetryWait {
  /** The retry that follows the wait (1 = first retry). */
  attempt: number;
  retries: number;
  delayMs: number;
  /** The failure that caused the wait. */
  error: unknown;
}

export interface RetryingOptions {
  /** Delays and the number of retries; unset fields take `defaultRetryPolicy`'s. */
  policy?: Partial<RetryPolicy>;
  /** For the jitter. Default `Math.random`. */
  random?: Random;
  /** How to wait (default the platform clock); it should reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignalLike) => Promise<void>;
  signal?: AbortSignalLike;
  /** Which failures a retry may cure. Default `isRetryable` (a `transient: true` error). */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait (e.g. to say so on a terminal or emit an event). */
  onWait?: (wait: RetryWait) => void;
}

/** An error a retry may cure: a transient sync error, or any error carrying `transient: true`. */
export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true;
}

/** Runs `operation` (given the attempt number, 1 first) under the retry policy; throws the last failure. */
export async function retrying<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryingOptions = {},
): Promise<T> {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.policy };
  const random = options.random ?? systemRandom;
  const sleep = options.sleep ?? systemClock.sleep;
  const retryable = options.retryable ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!retryable(error) || attempt > policy.retries) throw error;
      const retryAfterMs = isSyncError(error) ? error.retryAfterMs : undefined;
      const delayMs = backoffDelay(attempt, random, policy, retryAfterMs);
      options.onWait?.({ attempt, retries: policy.retries, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
