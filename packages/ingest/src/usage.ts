import type { TokenUsage } from '@agentlogs/local-store';

export type { TokenUsage };

export function usageTotal(u: TokenUsage): number {
  return u.input + u.output + u.cacheCreation + u.cacheRead;
}

/**
 * The largest token count one field of one API call may carry: 10^9. The largest context windows are a few million
 * tokens and the largest outputs a few hundred thousand, so a real count is hundreds of times smaller; a larger
 * one is a corrupt or forged line. The bound keeps every sum exact: 9 million calls at the bound in every field
 * still add up below 2^53, where JavaScript numbers stop counting whole tokens.
 */
export const MAX_TOKENS_PER_CALL = 1_000_000_000;

/**
 * The largest cumulative token count a Codex `total_token_usage` field may carry: 10^12 (a thousand calls at
 * `MAX_TOKENS_PER_CALL`). Each event's usage is the difference to the previous totals and must itself stay within
 * `MAX_TOKENS_PER_CALL`.
 */
export const MAX_CUMULATIVE_TOKENS = 1_000_000_000_000;

/**
 * The largest `costUSD` one line may carry: $1,000,000 (`MAX_TOKENS_PER_CALL` output tokens at the highest price
 * in the table cost less than a tenth of it). A cost must be finite and not negative.
 */
export const MAX_COST_USD_PER_CALL = 1_000_000;

/** A value the line cannot be imported with; `reason` names the field, never its text. */
export interface InvalidValue {
  invalid: string;
}

/**
 * Checks one token count: absent (`undefined` or `null`) is 0; otherwise it must be a whole number from 0 to
 * `bound`. Returns the count, or why it is refused.
 */
export function tokenCount(
  value: unknown,
  field: string,
  bound = MAX_TOKENS_PER_CALL,
): number | InvalidValue {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') return { invalid: `${field} is not a number` };
  if (!Number.isFinite(value)) return { invalid: `${field} is not a finite number` };
  if (value < 0) return { invalid: `${field} is negative` };
  if (!Number.isInteger(value)) return { invalid: `${field} is not a whole number` };
  if (value > bound) return { invalid: `${field} is above ${bound.toExponential()} tokens (${value})` };
  return value;
}

/** Checks a transcript's `costUSD`: absent is null; otherwise a finite dollar amount from 0 to the bound. */
export function costUsd(value: unknown, field = 'costUSD'): number | null | InvalidValue {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number') return { invalid: `${field} is not a number` };
  if (!Number.isFinite(value)) return { invalid: `${field} is not a finite number` };
  if (value < 0) return { invalid: `${field} is negative` };
  if (value > MAX_COST_USD_PER_CALL)
    return { invalid: `${field} is above $${MAX_COST_USD_PER_CALL} (${value})` };
  return value;
}

export function isInvalid(value: unknown): value is InvalidValue {
  return typeof value === 'object' && value !== null && 'invalid' in value;
}

/**
 * Reads a Claude `message.usage` object. Returns null unless it is an object whose `input_tokens` and
 * `output_tokens` are present (the shape Claude Code writes), and null too when a count in it is refused (see
 * `checkClaudeUsage` for the reason): a caller that does not report reasons never keeps a bad count.
 */
export function readClaudeUsage(
  raw: unknown,
): { usage: TokenUsage; speed: 'fast' | 'standard' | null } | null {
  const read = checkClaudeUsage(raw);
  return isInvalid(read) ? null : read;
}

/**
 * `readClaudeUsage` that says why a usage is refused: `{ invalid }` when any token count in it is not a whole
 * number from 0 to `MAX_TOKENS_PER_CALL`. When the `cache_creation` breakdown is present, cache writes are its
 * 5-minute + 1-hour parts; otherwise `cache_creation_input_tokens`.
 */
export function checkClaudeUsage(
  raw: unknown,
): { usage: TokenUsage; speed: 'fast' | 'standard' | null } | InvalidValue | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const u = raw as Record<string, unknown>;
  if (u.input_tokens === undefined || u.input_tokens === null) return null;
  if (u.output_tokens === undefined || u.output_tokens === null) return null;
  const input = tokenCount(u.input_tokens, 'usage.input_tokens');
  if (isInvalid(input)) return input;
  const output = tokenCount(u.output_tokens, 'usage.output_tokens');
  if (isInvalid(output)) return output;
  const cacheRead = tokenCount(u.cache_read_input_tokens, 'usage.cache_read_input_tokens');
  if (isInvalid(cacheRead)) return cacheRead;
  let cacheCreation = tokenCount(u.cache_creation_input_tokens, 'usage.cache_creation_input_tokens');
  if (isInvalid(cacheCreation)) return cacheCreation;
  let cacheCreation1h = 0;
  const breakdown = u.cache_creation;
  if (breakdown && typeof breakdown === 'object') {
    const b = breakdown as Record<string, unknown>;
    const fiveMinutes = tokenCount(
      b.ephemeral_5m_input_tokens,
      'usage.cache_creation.ephemeral_5m_input_tokens',
    );
    if (isInvalid(fiveMinutes)) return fiveMinutes;
    const oneHour = tokenCount(b.ephemeral_1h_input_tokens, 'usage.cache_creation.ephemeral_1h_input_tokens');
    if (isInvalid(oneHour)) return oneHour;
    cacheCreation1h = oneHour;
    cacheCreation = fiveMinutes + oneHour;
  }
  const speed = u.speed === 'fast' ? 'fast' : u.speed === 'standard' ? 'standard' : null;
  return {
    usage: { input, output, cacheCreation, cacheCreation1h, cacheRead, reasoning: 0 },
    speed,
  };
}
