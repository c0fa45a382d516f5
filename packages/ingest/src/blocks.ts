/**
 * Five-hour billing blocks, as Claude's plans count usage and as ccusage 20 shows them (`ccusage blocks`): a
 * block starts at the hour (UTC, floored) of the first response after a pause and lasts five hours; a response
 * more than five hours after the block's start, or more than five hours after the previous response, starts the
 * next block. Between two blocks separated by more than five hours of silence, a gap block runs from five hours
 * after the last response to the next response. The block that is still running (its last response less than
 * five hours ago and its end not reached) is active: it has a burn rate and a projection to its end.
 */
import {
  readSessionFacts,
  readUsageEntries,
  type SessionFacts,
  SLOT_MS,
  type StoreConnection,
  sqliteOf,
  type UsageEntry,
} from '@agentlogs/local-store';
import { loadPriceTable, type PriceTable } from './pricing.js';
import { sameAgent, slotDateFormatter } from './stats.js';

export const BLOCK_HOURS = 5;
const HOUR_MS = 3_600_000;

export interface BurnRate {
  /** All tokens (input, output, cache writes and reads) per minute between the block's first and last response. */
  tokens_per_minute: number;
  /** Input and output tokens per minute (what ccusage's burn indicator uses). */
  tokens_per_minute_for_indicator: number;
  cost_per_hour: number;
}

export interface BlockProjection {
  /** Tokens at the block's end if the burn rate holds. */
  total_tokens: number;
  total_cost_usd: number;
  remaining_minutes: number;
}

export interface BillingBlock {
  /** The start instant (ISO 8601), or `gap-<start>` for a gap block. */
  id: string;
  start: string;
  end: string;
  /** The last response's instant; null for a gap. */
  actual_end: string | null;
  is_active: boolean;
  is_gap: boolean;
  /** Responses counted (each once). */
  entries: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  total_tokens: number;
  cost_usd: number;
  models: string[];
  unpriced_models: string[];
  burn_rate: BurnRate | null;
  projection: BlockProjection | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function emptyBlock(start: number, end: number, gap: boolean): BillingBlock {
  return {
    id: gap ? `gap-${iso(start)}` : iso(start),
    start: iso(start),
    end: iso(end),
    actual_end: null,
    is_active: false,
    is_gap: gap,
    entries: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_tokens: 0,
    cache_read_tokens: 0,
    total_tokens: 0,
    cost_usd: 0,
    models: [],
    unpriced_models: [],
    burn_rate: null,
    projection: null,
  };
}

function closeBlock(start: number, entries: UsageEntry[], now: number, lengthMs: number): BillingBlock {
  const block = emptyBlock(start, start + lengthMs, false);
  const models = new Set<string>();
  const unpriced = new Set<string>();
  let cost = 0;
  for (const e of entries) {
    block.input_tokens += e.input;
    block.output_tokens += e.output;
    block.cache_creation_tokens += e.cacheCreation;
    block.cache_read_tokens += e.cacheRead;
    if (e.model !== null) models.add(e.model);
    if (e.cost === null) unpriced.add(e.model ?? '(unknown model)');
    else cost += e.cost;
  }
  const first = entries[0]!.ms;
  const last = entries[entries.length - 1]!.ms;
  block.entries = entries.length;
  block.total_tokens =
    block.input_tokens + block.output_tokens + block.cache_creation_tokens + block.cache_read_tokens;
  block.cost_usd = Math.round(cost * 1e9) / 1e9;
  block.models = [...models];
  block.unpriced_models = [...unpriced].sort();
  block.actual_end = iso(last);
  block.is_active = now - last < lengthMs && now < start + lengthMs;
  const minutes = (last - first) / 60_000;
  if (minutes > 0) {
    block.burn_rate = {
      tokens_per_minute: block.total_tokens / minutes,
      tokens_per_minute_for_indicator: (block.input_tokens + block.output_tokens) / minutes,
      cost_per_hour: (cost / minutes) * 60,
    };
  }
  if (block.is_active && block.burn_rate) {
    const remaining = Math.max(0, (start + lengthMs - now) / 60_000);
    block.projection = {
      total_tokens: Math.round(block.total_tokens + block.burn_rate.tokens_per_minute * remaining),
      total_cost_usd: Math.round((cost + (block.burn_rate.cost_per_hour / 60) * remaining) * 100) / 100,
      remaining_minutes: Math.round(remaining),
    };
  }
  return block;
}

/**
 * The billing blocks of responses in time order (`readUsageEntries`), with gap blocks between them, as of `now`.
 */
export function billingBlocks(
  entries: readonly UsageEntry[],
  now: number,
  lengthMs: number = BLOCK_HOURS * HOUR_MS,
): BillingBlock[] {
  const blocks: BillingBlock[] = [];
  let start: number | null = null;
  let current: UsageEntry[] = [];
  for (const entry of entries) {
    if (start === null) {
      start = Math.floor(entry.ms / HOUR_MS) * HOUR_MS;
      current = [entry];
      continue;
    }
    const last = current[current.length - 1]!.ms;
    if (entry.ms - start > lengthMs || entry.ms - last > lengthMs) {
      blocks.push(closeBlock(start, current, now, lengthMs));
      if (entry.ms - last > lengthMs) {
        blocks.push(emptyBlock(last + lengthMs, entry.ms, true));
      }
      start = Math.floor(entry.ms / HOUR_MS) * HOUR_MS;
      current = [entry];
    } else current.push(entry);
  }
  if (start !== null) blocks.push(closeBlock(start, current, now, lengthMs));
  return blocks;
}

export interface BlocksOptions {
  /** The agent whose usage makes the blocks (default `claude_code`: the plans' windows are Claude's). */
  agent?: string;
  /** Inclusive local dates YYYY-MM-DD: blocks that start on these days. */
  since?: string;
  until?: string;
  timeZone?: string;
  prices?: PriceTable;
  /** The instant blocks are judged active at (default: now). */
  now?: number;
  /** Read only responses from this instant on (ISO 8601), e.g. for the active block alone. */
  from?: string;
}

export interface BlocksReport {
  agent: string;
  blocks: BillingBlock[];
  prices: { source: string; date: string };
}

/** Billing blocks from the local store, excluding tombstoned sessions. */
export function computeBlocks(store: StoreConnection, options: BlocksOptions = {}): BlocksReport {
  const prices = options.prices ?? loadPriceTable();
  const agent = options.agent ?? 'claude_code';
  const db = sqliteOf(store);
  const sessions = readSessionFacts(db);
  const entries = readUsageEntries(db, prices, options.from).filter((e) => {
    const session = sessions.get(e.sessionId);
    return session !== undefined && sameAgent(session.agent, agent);
  });
  const dayOf = slotDateFormatter(options.timeZone);
  const blocks = billingBlocks(entries, options.now ?? Date.now()).filter((b) => {
    const day = dayOf(Math.floor(Date.parse(b.start) / SLOT_MS));
    return (!options.since || day >= options.since) && (!options.until || day <= options.until);
  });
  return { agent, blocks, prices: { source: prices.source, date: prices.date } };
}

export interface UsageNowOptions {
  /** The session asked about: its id as the agent names it (Claude Code's `session_id`). */
  sessionId?: string;
  agent?: string;
  timeZone?: string;
  prices?: PriceTable;
  now?: number;
}

export interface UsageNow {
  /** Cost of the session's responses read (null when the session is not in the database). */
  session_cost_usd: number | null;
  /** Input, cache write and cache read tokens of the session's last response: what its context holds. */
  session_context_tokens: number | null;
  today_cost_usd: number;
  /** The active block, or null when none is running. */
  block: BillingBlock | null;
}

/**
 * What a status line shows, from the last hours of the database only: today's cost, the active block, and one
 * session's cost and context. Responses are read from a window reaching back past local midnight; when the
 * window's first response lies within a block's length of its start, a block may have begun earlier, so the
 * window reaches back another day (up to a week) until a pause of more than a block's length bounds it.
 */
export function usageNow(store: StoreConnection, options: UsageNowOptions = {}): UsageNow {
  const prices = options.prices ?? loadPriceTable();
  const agent = options.agent ?? 'claude_code';
  const now = options.now ?? Date.now();
  const db = sqliteOf(store);
  const lengthMs = BLOCK_HOURS * HOUR_MS;
  let from = now - 26 * HOUR_MS;
  let entries: UsageEntry[] = [];
  let sessions = new Map<string, SessionFacts>();
  for (let reach = 0; reach < 7; reach++, from -= 24 * HOUR_MS) {
    const since = new Date(from).toISOString();
    sessions = readSessionFacts(db, new Map(), since);
    entries = readUsageEntries(db, prices, since).filter((e) => {
      const session = sessions.get(e.sessionId);
      return session !== undefined && sameAgent(session.agent, agent);
    });
    if (entries.length === 0 || entries[0]!.ms - from > lengthMs) break;
  }
  const dayOf = slotDateFormatter(options.timeZone);
  const today = dayOf(Math.floor(now / SLOT_MS));
  let todayCost = 0;
  let sessionCost: number | null = null;
  let context: number | null = null;
  for (const e of entries) {
    if (e.ms <= now && dayOf(Math.floor(e.ms / SLOT_MS)) === today) todayCost += e.cost ?? 0;
    if (options.sessionId !== undefined && sessions.get(e.sessionId)?.native === options.sessionId) {
      sessionCost = (sessionCost ?? 0) + (e.cost ?? 0);
      context = e.input + e.cacheCreation + e.cacheRead;
    }
  }
  const blocks = billingBlocks(entries, now, lengthMs);
  const last = blocks[blocks.length - 1];
  return {
    session_cost_usd: sessionCost,
    session_context_tokens: context,
    today_cost_usd: todayCost,
    block: last?.is_active ? last : null,
  };
}
