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

/** Columns of a turn that stats reads (covered by the `idx_turns_usage` index). */
type TurnStatsRow = [
  sessionId: string,
  timestamp: string,
  model: string | null,
  messageId: string | null,
  requestId: string | null,
  isSidechain: number,
  speed: string | null,
  input: number,
  output: number,
  cacheCreation: number,
  cacheCreation1h: number,
  cacheRead: number,
  reasoning: number,
  costUsd: number | null,
  machineId: string | null,
];

/** A covering index for stats: the scan never touches the turn rows themselves (their content is most of the file). */
export const STATS_INDEX_SQL = `create index if not exists idx_turns_usage on turns(message_id, request_id, is_sidechain,
  session_id, timestamp, model, speed, input_tokens, output_tokens, cache_creation_tokens, cache_creation_1h_tokens,
  cache_read_tokens, reasoning_tokens, cost_usd, machine_id, deleted_at)`;

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

/**
 * Formats an instant as the local date in a time zone. The zone's offset is looked up once per 15-minute UTC slot
 * (offset changes happen on such boundaries), so a scan of many turns makes few calls into Intl.
 */
export function localDateFormatter(timeZone: string | undefined): (iso: string) => string | null {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
  // Zone offsets are whole multiples of 15 minutes and change on such boundaries, so a local day starts and ends
  // on a 15-minute UTC boundary: one date per slot.
  const SLOT = 15 * 60_000;
  const days = new Map<number, string>();
  const dayOf = (slotStart: number): string => {
    const parts = format.formatToParts(new Date(slotStart));
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('year').padStart(4, '0')}-${get('month')}-${get('day')}`;
  };
  return (iso) => {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    const slot = Math.floor(ms / SLOT) * SLOT;
    let day = days.get(slot);
    if (day === undefined) {
      day = dayOf(slot);
      days.set(slot, day);
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
  const sessions = new Map<string, { native: string | null; project: string | null }>();
  const projectPaths = new Map<string, string | null>();
  for (const [id, path] of db
    .prepare('select id, path from projects where deleted_at is null')
    .raw()
    .all() as [string, string | null][]) {
    projectPaths.set(id, path);
  }
  for (const [id, native, cwd, projectId] of db
    .prepare('select id, native_id, cwd, project_id from sessions where deleted_at is null')
    .raw()
    .all() as [string, string | null, string | null, string | null][]) {
    sessions.set(id, { native, project: (projectId ? projectPaths.get(projectId) : null) ?? cwd });
  }
  const machines = new Map<string, string | null>();
  for (const [id, name] of db.prepare('select id, name from machines').raw().all() as [
    string,
    string | null,
  ][]) {
    machines.set(id, name);
  }
  // The scan follows idx_turns_usage, which starts with (message_id, request_id): the turns carrying one
  // response arrive next to each other (no request id sorts just before an empty one, and they count as the
  // same), so each response's winner is known when its run of rows ends, and no row is kept after that.
  const scan = db
    .prepare(
      `select session_id, timestamp, model, message_id, request_id, is_sidechain, speed, input_tokens, output_tokens,
              cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, machine_id
         from turns indexed by idx_turns_usage where deleted_at is null
        order by message_id, request_id`,
    )
    .raw();

  const totals = new Accumulator();
  const groups = new Map<string, Accumulator>();
  const total = (r: TurnStatsRow) => r[7] + r[8] + r[9] + r[11];

  /** The group a turn counts in, or null when it is outside the range or its session is tombstoned. */
  const groupOf = (r: TurnStatsRow): Accumulator | null => {
    const session = sessions.get(r[0]);
    if (!session) return null; // its session is tombstoned
    const day = localDate(r[1]);
    if (!day) return null;
    if (options.since && day < options.since) return null;
    if (options.until && day > options.until) return null;
    let key: string;
    switch (by) {
      case 'day':
        key = day;
        break;
      case 'month':
        key = day.slice(0, 7);
        break;
      case 'model':
        key = r[2] ?? '(none)';
        break;
      case 'project':
        key = session.project ?? '(unknown)';
        break;
      case 'session':
        key = session.native ?? r[0];
        break;
      case 'machine':
        key = (r[14] ? (machines.get(r[14]) ?? r[14]) : null) ?? '(unknown)';
        break;
    }
    let group = groups.get(key);
    if (!group) {
      group = new Accumulator();
      groups.set(key, group);
    }
    group.turns++;
    group.sessions.add(r[0]);
    totals.turns++;
    totals.sessions.add(r[0]);
    return group;
  };

  const addUsage = (r: TurnStatsRow, group: Accumulator) => {
    const cost =
      r[13] ??
      prices.cost(
        r[2],
        {
          input: r[7],
          output: r[8],
          cacheCreation: r[9],
          cacheCreation1h: r[10],
          cacheRead: r[11],
          reasoning: r[12],
        },
        r[6],
      );
    for (const acc of [group, totals]) {
      acc.input += r[7];
      acc.output += r[8];
      acc.cacheCreation += r[9];
      acc.cacheRead += r[11];
      if (cost === null) acc.unpriced.add(r[2] ?? '(unknown model)');
      else acc.cost += cost;
    }
  };

  // One response's usage counts once: among the turns carrying the same message id and request id, the
  // non-sidechain one with the largest usage (then the one with a speed, then the first) is kept. Every turn
  // counts in `turns` and `sessions`; the winner's usage counts where the winner itself falls.
  let runMessage: string | null = null;
  let runRequest = '';
  let winner: TurnStatsRow | null = null;
  let winnerGroup: Accumulator | null = null;
  const endRun = () => {
    if (winner !== null && winnerGroup !== null) addUsage(winner, winnerGroup);
    winner = null;
    winnerGroup = null;
  };
  for (const r of scan.iterate() as IterableIterator<TurnStatsRow>) {
    const message = r[3];
    if (message === null) {
      const group = groupOf(r);
      if (group && total(r) !== 0) addUsage(r, group);
      continue;
    }
    const request = r[4] ?? '';
    if (message !== runMessage || request !== runRequest) {
      endRun();
      runMessage = message;
      runRequest = request;
    }
    const group = groupOf(r);
    if (total(r) === 0) continue;
    const w: TurnStatsRow | null = winner;
    const better =
      w === null ||
      (r[5] !== w[5]
        ? r[5] < w[5]
        : total(r) !== total(w)
          ? total(r) > total(w)
          : r[6] !== null && w[6] === null);
    if (better) {
      winner = r;
      winnerGroup = group;
    }
  }
  endRun();
  const out: StatsRow[] = [...groups.entries()].map(([key, acc]) => ({ key, ...acc.figures() }));
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { totals: totals.figures(), rows: out, prices: { source: prices.source, date: prices.date } };
}
