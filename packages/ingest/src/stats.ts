import {
  ROLLUP_WIDTH,
  readUsageSnapshot,
  type SessionFacts,
  SLOT_MS,
  type StoreConnection,
  sqliteOf,
} from '@agentlogs/local-store';
import { loadPriceTable, type PriceTable } from './pricing.js';

export type StatsGrouping = 'day' | 'month' | 'model' | 'project' | 'session' | 'machine' | 'agent';
export const STATS_GROUPINGS: readonly StatsGrouping[] = [
  'day',
  'month',
  'model',
  'project',
  'session',
  'machine',
  'agent',
];

export interface StatsOptions {
  by?: StatsGrouping;
  /** Inclusive local date YYYY-MM-DD. */
  since?: string;
  /** Inclusive local date YYYY-MM-DD. */
  until?: string;
  /** IANA time zone for days and months (default: the process's own zone, `$TZ` or the system's). */
  timeZone?: string;
  prices?: PriceTable;
  /** Only the sessions of this agent (as stored in `sessions.source`; see `sameAgent`). */
  agent?: string;
  /** Each row also lists its figures per model (`models`). */
  breakdown?: boolean;
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
  /** With `breakdown`: the row's figures per model, by model id (models without tokens or cost left out). */
  models?: ModelFigures[];
  /** By session: its project path, its agent and its last activity (ISO 8601). */
  project?: string | null;
  agent?: string | null;
  last_activity?: string | null;
}

export interface ModelFigures extends StatsFigures {
  model: string;
}

export interface StatsReport {
  totals: StatsFigures;
  rows: StatsRow[];
  /** Where prices come from. */
  prices: { source: string; date: string };
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

  /** Adds the entry at `at` of a rollup's flat numbers. */
  add(flat: ArrayLike<number>, at: number, sessionId: string, model: string | null): void {
    this.turns += flat[at + 4]!;
    this.sessions.add(sessionId);
    this.input += flat[at + 5]!;
    this.output += flat[at + 6]!;
    this.cacheCreation += flat[at + 7]!;
    this.cacheRead += flat[at + 8]!;
    this.cost += flat[at + 9]!;
    if (flat[at + 10]! > 0) this.unpriced.add(model ?? '(unknown model)');
  }

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

/** A time zone's clock: the local date at an instant and the offset (local minus UTC, in ms) there. */
interface ZoneClock {
  dateAt(ms: number): string;
  offsetAt(ms: number): number;
}

const ymd = (year: number, month: number, day: number) =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/**
 * The clock of a named zone (through Intl) or, without a name, of the process's own zone (`$TZ` or the system
 * zone, through Date's local time, which spares loading Intl's locale data: about 17 ms per process).
 */
function zoneClock(timeZone: string | undefined): ZoneClock {
  if (timeZone === undefined) {
    return {
      dateAt(ms) {
        const d = new Date(ms);
        return ymd(d.getFullYear(), d.getMonth() + 1, d.getDate());
      },
      offsetAt: (ms) => -new Date(ms).getTimezoneOffset() * 60_000,
    };
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
  const local = (ms: number) => {
    const parts = format.formatToParts(new Date(ms));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    return {
      year: get('year'),
      month: get('month'),
      day: get('day'),
      hour: get('hour'),
      minute: get('minute'),
    };
  };
  return {
    dateAt(ms) {
      const l = local(ms);
      return ymd(l.year, l.month, l.day);
    },
    offsetAt(ms) {
      const l = local(ms);
      return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) - Math.floor(ms / 60_000) * 60_000;
    },
  };
}

/**
 * Maps a 15-minute UTC slot (epoch milliseconds / 900,000, floored) to its local date in a time zone (default:
 * the process's zone). Offset changes happen on slot boundaries, so each slot has one date. The zone's offset
 * is asked for at the start and the end of each UTC day: when they agree (every day but those with a
 * transition), a slot's date is the UTC date of the slot shifted by that offset; on a transition day each slot
 * is looked up on its own.
 */
export function slotDateFormatter(timeZone: string | undefined): (slot: number) => string {
  const clock = zoneClock(timeZone);
  const DAY_MS = 86_400_000;
  const dayOffsets = new Map<number, number | null>();
  const days = new Map<number, string>();
  return (slot) => {
    let date = days.get(slot);
    if (date !== undefined) return date;
    const ms = slot * SLOT_MS;
    const utcDay = Math.floor(ms / DAY_MS);
    let offset = dayOffsets.get(utcDay);
    if (offset === undefined) {
      const first = clock.offsetAt(utcDay * DAY_MS);
      offset = first === clock.offsetAt((utcDay + 1) * DAY_MS - SLOT_MS) ? first : null;
      dayOffsets.set(utcDay, offset);
    }
    date = offset !== null ? new Date(ms + offset).toISOString().slice(0, 10) : clock.dateAt(ms);
    days.set(slot, date);
    return date;
  };
}

/**
 * Token and cost totals from the local store, excluding tombstoned rows. A response's usage is counted once
 * even when several turns carry it (the same message id and request id in resumed or sidechain copies): the
 * non-sidechain copy with the largest usage is kept, as ccusage 20 does. Every turn counts in `turns`; a turn
 * with neither model nor usage (a prompt, a tool result) counts under the model in effect in its session, so
 * `--by model` has no row of model-less turns.
 *
 * The figures come from the usage rollup (`usage_rollup`), which is rebuilt from the turns first when a turn
 * changed since it was built or the price table is another one.
 */
export function computeStats(store: StoreConnection, options: StatsOptions = {}): StatsReport {
  const by = options.by ?? 'day';
  const prices = options.prices ?? loadPriceTable();
  const dayOf = slotDateFormatter(options.timeZone);
  const { rollup, sessions, projectPaths, machines } = readUsageSnapshot(sqliteOf(store), prices);

  const totals = new Accumulator();
  const groups = new Map<string, Accumulator>();
  const breakdowns = new Map<string, Map<string, Accumulator>>();
  const sessionOf = new Map<string, SessionFacts>();
  const projectOf = (session: SessionFacts) =>
    (session.projectId ? projectPaths.get(session.projectId) : null) ?? session.cwd ?? null;
  const flat = rollup.rows;
  for (let at = 0; at < flat.length; at += ROLLUP_WIDTH) {
    const sessionId = rollup.sessions[flat[at]!]!;
    const session = sessions.get(sessionId);
    if (!session) continue; // its session is tombstoned
    if (options.agent !== undefined && !sameAgent(session.agent, options.agent)) continue;
    const day = dayOf(flat[at + 1]!);
    if (options.since && day < options.since) continue;
    if (options.until && day > options.until) continue;
    const model = rollup.models[flat[at + 2]!] ?? null;
    let key: string;
    switch (by) {
      case 'day':
        key = day;
        break;
      case 'month':
        key = day.slice(0, 7);
        break;
      case 'model':
        key = model ?? '(none)';
        break;
      case 'project':
        key = projectOf(session) ?? '(unknown)';
        break;
      case 'agent':
        key = session.agent ?? '(unknown)';
        break;
      case 'session':
        key = session.native ?? sessionId;
        break;
      case 'machine': {
        const machine = rollup.machines[flat[at + 3]!] ?? null;
        key = (machine ? (machines.get(machine) ?? machine) : null) ?? '(unknown)';
        break;
      }
    }
    let group = groups.get(key);
    if (!group) {
      group = new Accumulator();
      groups.set(key, group);
      if (by === 'session') sessionOf.set(key, session);
    }
    group.add(flat, at, sessionId, model);
    totals.add(flat, at, sessionId, model);
    if (options.breakdown) {
      let perModel = breakdowns.get(key);
      if (!perModel) {
        perModel = new Map();
        breakdowns.set(key, perModel);
      }
      const name = model ?? '(none)';
      let m = perModel.get(name);
      if (!m) {
        m = new Accumulator();
        perModel.set(name, m);
      }
      m.add(flat, at, sessionId, model);
    }
  }
  let out: StatsRow[] = [...groups.entries()].map(([key, acc]) => {
    const row: StatsRow = { key, ...acc.figures() };
    if (by === 'session') {
      const session = sessionOf.get(key)!;
      row.project = projectOf(session);
      row.agent = session.agent;
      row.last_activity = session.endedAt;
    }
    const perModel = breakdowns.get(key);
    if (perModel) {
      row.models = [...perModel.entries()]
        .map(([model, m]) => ({ model, ...m.figures() }))
        .filter((m) => !isZero(m))
        .sort((a, b) => b.cost_usd - a.cost_usd || (a.model < b.model ? -1 : 1));
    }
    return row;
  });
  // By model, a row of only zeros says nothing (e.g. Claude Code's `<synthetic>` messages, or a session whose only
  // turns are prompts that were never answered): it is left out; its turns still count in the totals.
  if (by === 'model') out = out.filter((r) => !isZero(r));
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { totals: totals.figures(), rows: out, prices: { source: prices.source, date: prices.date } };
}

function isZero(f: StatsFigures): boolean {
  return (
    f.input_tokens === 0 &&
    f.output_tokens === 0 &&
    f.cache_creation_tokens === 0 &&
    f.cache_read_tokens === 0 &&
    f.cost_usd === 0 &&
    f.unpriced_models.length === 0
  );
}

/**
 * Whether a session's stored agent is the one asked for: the stored name (`claude_code`, `codex`), with `-` and
 * `_` taken as the same and case ignored, so `--agent claude-code` finds `claude_code`.
 */
export function sameAgent(stored: string | null, asked: string): boolean {
  const norm = (name: string) => name.trim().toLowerCase().replaceAll('-', '_');
  return stored !== null && norm(stored) === norm(asked);
}
