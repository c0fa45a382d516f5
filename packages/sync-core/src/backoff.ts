/**
 * Retry delays for transient errors: exponential from `baseMs` (15 s), doubling per failed attempt,
 * capped at `maxMs` (5 min), with ±`jitter` spread so that many devices do not retry in lockstep, and
 * never shorter than the server's `Retry-After`.
 */
import type { Random } from './ports.js';

export interface BackoffPolicy {
  /** First delay. Default 15 000 ms. Tests set a few milliseconds. */
  baseMs: number;
  /** Upper bound of any delay (before `Retry-After`). Default 300 000 ms. */
  maxMs: number;
  /** Relative spread: a delay d becomes uniform in [d·(1−jitter), d·(1+jitter)], then capped. Default 0.2. */
  jitter: number;
}

export const defaultBackoffPolicy: BackoffPolicy = { baseMs: 15_000, maxMs: 300_000, jitter: 0.2 };

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(
  attempt: number,
  random: Random,
  policy: BackoffPolicy = defaultBackoffPolicy,
  retryAfterMs?: number,
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const spread = nominal * policy.jitter * (2 * random() - 1);
  const jittered = Math.min(policy.maxMs, Math.max(0, Math.round(nominal + spread)));
  return retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
}
