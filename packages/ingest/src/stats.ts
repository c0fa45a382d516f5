import type BetterSqlite3 from 'better-sqlite3';
import { loadPriceTable, type PriceTable } from './pricing.js';

export type StatsGrouping = 'day' | 'month' | 'model' | 'project' | 'session' | 'machine';
export const STATS_GROUPINGS: readonly StatsGrouping[] = [
  'day',
  'month',
  'model',
  'project',
  'session',
  'machine',
];

export interface StatsOptions {
  by?: StatsGrouping;
  /** Inclusive local date YYYY-MM-DD. */
  since?: string;
  /** Inclusive local date YYYY-MM-DD. */
  until?: string;
  /** IANA time zone for days and months (default: the process's local zone). */
  timeZone?: string;
  prices?: PriceTable;
}

export interface StatsFigures {
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  /** Cost of the priced usage (transcript `costUSD` where given, else the price table). */
  cost_usd: number;
  sessions: number;
  turns: number;
  /** Models with tokens but no price: their cost is not in `cost_usd`. */
  unpriced_models: string[];
}

export interface StatsRow extends StatsFigures {
  key: string;
}

export interface StatsReport {
  totals: StatsFigures;
  rows: StatsRow[];
  /** Where prices come from. */
  prices: { source: string; date: string };
}

interface TurnStatsRow {
  session_id: string;
  session_native: string | null;
  timestamp: string;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_creation_1h_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
  speed: string | null;
  counted: number;
  project: string | null;
  machine: string | null;
}

class Accumulator {
  input = 0;
  output = 0;
  cacheCreation = 0;
  cacheRead = 0;
  cost = 0;
  turns = 0;
  readonly sessions = new Set<string>();
  readonly unpriced = new Set<string>();

  figures(): StatsFigures {
    return {
      input_tokens: this.input,
      output_tokens: this.output,
      cache_creation_tokens: this.cacheCreation,
      cache_read_tokens: this.cacheRead,
      cost_usd: Math.round(this.cost * 1e9) / 1e9,
      sessions: this.sessions.size,
      turns: this.turns,
      unpriced_models: [...this.unpriced].sort(),
    };
  }
}

/** Formats an instant as the local date in a time zone, caching per minute (zone offsets are whole minutes). */
function localDateFormatter(timeZone: string | undefined): (iso: string) => string | null {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
  const cache = new Map<number, string>();
  return (iso) => {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    const minute = Math.floor(ms / 60_000);
    let day = cache.get(minute);
    if (day === undefined) {
      const parts = format.formatToParts(new Date(ms));
      const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
      day = `${get('year')}-${get('month')}-${get('day')}`;
      if (cache.size > 100_000) cache.clear();
      cache.set(minute, day);
    }
    return day;
  };
}

/**
 * Token and cost totals from the local store, excluding tombstoned rows. A response's usage is counted once
 * even when several turns carry it (the same message id and request id in resumed or sidechain copies): the
 * non-sidechain copy with the largest usage is kept, as ccusage 20 does. Every turn counts in `turns`.
 */
export function computeStats(db: BetterSqlite3.Database, options: StatsOptions = {}): StatsReport {
  const by = options.by ?? 'day';
  const prices = options.prices ?? loadPriceTable();
  const localDate = localDateFormatter(options.timeZone);
  const rows = db
    .prepare(
      `with live as (
         select t.id, t.session_id, s.native_id as session_native, t.timestamp, t.model, t.message_id, t.request_id, t.is_sidechain, t.speed,
                t.input_tokens, t.output_tokens, t.cache_creation_tokens, t.cache_creation_1h_tokens,
                t.cache_read_tokens, t.reasoning_tokens, t.cost_usd,
                coalesce(p.path, s.cwd, t.cwd) as project,
                coalesce(m.name, t.machine_id) as machine
           from turns t
           join sessions s on s.id = t.session_id
           left join projects p on p.id = s.project_id
           left join machines m on m.id = t.machine_id
          where t.deleted_at is null and s.deleted_at is null
       ),
       ranked as (
         select live.*,
                case when message_id is null then 1
                     else row_number() over (
                       partition by message_id, coalesce(request_id, '')
                       order by is_sidechain,
                                (input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens) desc,
                                (speed is not null) desc, id) = 1 end as counted
           from live
       )
       select * from ranked`,
    )
    .all() as TurnStatsRow[];

  const totals = new Accumulator();
  const groups = new Map<string, Accumulator>();
  for (const r of rows) {
    const day = localDate(r.timestamp);
    if (!day) continue;
    if (options.since && day < options.since) continue;
    if (options.until && day > options.until) continue;
    let key: string;
    switch (by) {
      case 'day':
        key = day;
        break;
      case 'month':
        key = day.slice(0, 7);
        break;
      case 'model':
        key = r.model ?? '(none)';
        break;
      case 'project':
        key = r.project ?? '(unknown)';
        break;
      case 'session':
        key = r.session_native ?? r.session_id;
        break;
      case 'machine':
        key = r.machine ?? '(unknown)';
        break;
    }
    let group = groups.get(key);
    if (!group) {
      group = new Accumulator();
      groups.set(key, group);
    }
    for (const acc of [group, totals]) {
      acc.turns++;
      acc.sessions.add(r.session_id);
    }
    const tokens = r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens;
    if (!r.counted || tokens === 0) continue;
    let cost: number | null = r.cost_usd;
    if (cost === null) {
      cost = prices.cost(
        r.model,
        {
          input: r.input_tokens,
          output: r.output_tokens,
          cacheCreation: r.cache_creation_tokens,
          cacheCreation1h: r.cache_creation_1h_tokens,
          cacheRead: r.cache_read_tokens,
          reasoning: r.reasoning_tokens,
        },
        r.speed,
      );
    }
    for (const acc of [group, totals]) {
      acc.input += r.input_tokens;
      acc.output += r.output_tokens;
      acc.cacheCreation += r.cache_creation_tokens;
      acc.cacheRead += r.cache_read_tokens;
      if (cost === null) acc.unpriced.add(r.model ?? '(unknown model)');
      else acc.cost += cost;
    }
  }
  const out: StatsRow[] = [...groups.entries()].map(([key, acc]) => ({ key, ...acc.figures() }));
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { totals: totals.figures(), rows: out, prices: { source: prices.source, date: prices.date } };
}
