/** Token counts of one model response, as stored on a turn. */
export interface TokenUsage {
  input: number;
  output: number;
  /** All cache writes (5-minute + 1-hour). */
  cacheCreation: number;
  /** The 1-hour part of the cache writes. */
  cacheCreation1h: number;
  cacheRead: number;
  reasoning: number;
}

export function usageTotal(u: TokenUsage): number {
  return u.input + u.output + u.cacheCreation + u.cacheRead;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * Reads a Claude `message.usage` object. Returns null unless `input_tokens` and `output_tokens` are numbers
 * (the shape Claude Code writes). When the `cache_creation` breakdown is present, cache writes are its
 * 5-minute + 1-hour parts; otherwise `cache_creation_input_tokens`.
 */
export function readClaudeUsage(
  raw: unknown,
): { usage: TokenUsage; speed: 'fast' | 'standard' | null } | null {
  if (!raw || typeof raw !== 'object') return null;
  const u = raw as Record<string, unknown>;
  if (typeof u.input_tokens !== 'number' || typeof u.output_tokens !== 'number') return null;
  let cacheCreation = count(u.cache_creation_input_tokens);
  let cacheCreation1h = 0;
  const breakdown = u.cache_creation;
  if (breakdown && typeof breakdown === 'object') {
    const b = breakdown as Record<string, unknown>;
    cacheCreation1h = count(b.ephemeral_1h_input_tokens);
    cacheCreation = count(b.ephemeral_5m_input_tokens) + cacheCreation1h;
  }
  const speed = u.speed === 'fast' ? 'fast' : u.speed === 'standard' ? 'standard' : null;
  return {
    usage: {
      input: count(u.input_tokens),
      output: count(u.output_tokens),
      cacheCreation,
      cacheCreation1h,
      cacheRead: count(u.cache_read_input_tokens),
      reasoning: 0,
    },
    speed,
  };
}
