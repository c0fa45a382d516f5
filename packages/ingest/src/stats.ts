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
  /** IANA time zone for days and months (default: the process's own zone, `$TZ` or the system's). */
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

/** Columns of a turn that the rollup is built from (covered by the `idx_turns_usage` index of local-store schema v15). */
type TurnStatsRow = [
  sessionId: string | null,
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

/** One rollup entry: the turns of one session in one 15-minute UTC slot, with one model on one machine. */
export type RollupRow = [
  sessionId: string,
  slot: number,
  model: string | null,
  machineId: string | null,
  turns: number,
  input: number,
  output: number,
  cacheCreation: number,
  cacheRead: number,
  cost: number,
  unpricedResponses: number,
];

/** Length of a rollup slot. Zone offsets are whole multiples of 15 minutes, so a slot lies within one local day. */
const SLOT_MS = 15 * 60_000;

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
  add(flat: number[], at: number, sessionId: string, model: string | null): void {
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
export function computeStats(db: BetterSqlite3.Database, options: StatsOptions = {}): StatsReport {
  const by = options.by ?? 'day';
  const prices = options.prices ?? loadPriceTable();
  const dayOf = slotDateFormatter(options.timeZone);
  const { rollup, sessions, projectPaths, machines } = readSnapshot(db, prices);

  const totals = new Accumulator();
  const groups = new Map<string, Accumulator>();
  const flat = rollup.rows;
  for (let at = 0; at < flat.length; at += ROLLUP_WIDTH) {
    const sessionId = rollup.sessions[flat[at]!]!;
    const session = sessions.get(sessionId);
    if (!session) continue; // its session is tombstoned
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
        key = (session.projectId ? projectPaths.get(session.projectId) : null) ?? session.cwd ?? '(unknown)';
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
    }
    group.add(flat, at, sessionId, model);
    totals.add(flat, at, sessionId, model);
  }
  let out: StatsRow[] = [...groups.entries()].map(([key, acc]) => ({ key, ...acc.figures() }));
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

interface SessionFacts {
  native: string | null;
  cwd: string | null;
  projectId: string | null;
}

/** The rollup (rebuilt when stale) and the small tables stats joins it with, read in one snapshot. */
function readSnapshot(db: BetterSqlite3.Database, prices: PriceTable) {
  const dataVersion = db.pragma('data_version', { simple: true }) as number;
  let rollup: StoredRollup | undefined;
  let rebuilt = false;
  const sessions = new Map<string, SessionFacts>();
  const projectPaths = new Map<string, string | null>();
  const machines = new Map<string, string | null>();
  const read = db.transaction(() => {
    const stored = db.prepare('select valid, prices, data from usage_rollup where id = 1').get() as
      | { valid: number; prices: string | null; data: string | null }
      | undefined;
    if (stored?.valid === 1 && stored.prices === prices.fingerprint && stored.data !== null) {
      rollup = parseRollup(stored.data);
    }
    if (!rollup) {
      rollup = rollupFromRows(buildUsageRollup(db, prices));
      rebuilt = true;
    }
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
      sessions.set(id, { native, cwd, projectId });
    }
    for (const [id, name] of db.prepare('select id, name from machines').raw().all() as [
      string,
      string | null,
    ][]) {
      machines.set(id, name);
    }
  });
  read();
  const current = rollup as StoredRollup;
  if (rebuilt) storeUsageRollup(db, current, prices.fingerprint, dataVersion);
  return { rollup: current, sessions, projectPaths, machines };
}

/**
 * The stored form of the rollup (`usage_rollup.data`, and what stats reads): JSON with the distinct session ids,
 * models and machine ids listed once, and the entries flattened, 11 numbers each: session index, slot, model
 * index, machine index, turns, input, output, cache-creation and cache-read tokens, cost, unpriced responses.
 * One JSON.parse of numbers reads back several times faster than thousands of SQLite rows of repeated strings,
 * and stats adds up the numbers where they lie.
 */
export interface StoredRollup {
  /** 2: turns without a model or usage count under the model in effect in their session (format 1 did not). */
  format: 2;
  sessions: string[];
  models: (string | null)[];
  machines: (string | null)[];
  rows: number[];
}

const ROLLUP_WIDTH = 11;

export function rollupFromRows(rows: RollupRow[]): StoredRollup {
  const index = <T>(list: T[], positions: Map<T, number>, value: T) => {
    let i = positions.get(value);
    if (i === undefined) {
      i = list.length;
      list.push(value);
      positions.set(value, i);
    }
    return i;
  };
  const stored: StoredRollup = { format: 2, sessions: [], models: [], machines: [], rows: [] };
  const sessionAt = new Map<string, number>();
  const modelAt = new Map<string | null, number>();
  const machineAt = new Map<string | null, number>();
  for (const r of rows) {
    stored.rows.push(
      index(stored.sessions, sessionAt, r[0]),
      r[1],
      index(stored.models, modelAt, r[2]),
      index(stored.machines, machineAt, r[3]),
      r[4],
      r[5],
      r[6],
      r[7],
      r[8],
      r[9],
      r[10],
    );
  }
  return stored;
}

/** A stored rollup, or undefined when it is not in a form this version reads (then it is rebuilt). */
export function parseRollup(data: string): StoredRollup | undefined {
  let stored: StoredRollup;
  try {
    stored = JSON.parse(data) as StoredRollup;
  } catch {
    return undefined;
  }
  if (
    stored?.format !== 2 ||
    !Array.isArray(stored.sessions) ||
    !Array.isArray(stored.models) ||
    !Array.isArray(stored.machines) ||
    !Array.isArray(stored.rows) ||
    stored.rows.length % ROLLUP_WIDTH !== 0
  ) {
    return undefined;
  }
  const { sessions, models, machines, rows } = stored;
  for (let at = 0; at < rows.length; at += ROLLUP_WIDTH) {
    if (
      typeof sessions[rows[at]!] !== 'string' ||
      !(rows[at + 2]! < models.length) ||
      !(rows[at + 3]! < machines.length)
    ) {
      return undefined;
    }
  }
  return stored;
}

/**
 * Computes the usage rollup from every non-tombstoned turn. A response's usage counts once: among the turns
 * carrying the same message id and request id, the non-sidechain one with the largest usage (then the one with
 * a speed, then the first) is kept, and its usage counts in that turn's own rollup row. Every turn with a
 * readable timestamp counts in `turns`, one with neither model nor usage under the model in effect in its session
 * at its time (see `modelInEffect`).
 */
export function buildUsageRollup(db: BetterSqlite3.Database, prices: PriceTable): RollupRow[] {
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
  const rows = new Map<string, RollupRow>();
  const total = (r: TurnStatsRow) => r[7] + r[8] + r[9] + r[11];

  /** Per session, the instants at which a turn names its model: what the session's model-less turns count under. */
  const modelsInEffect = new Map<string, { ms: number[]; models: string[] }>();
  /** Turns with neither a model nor usage (prompts, tool results), placed once every model is known. */
  const modelless: [sessionId: string, ms: number, machineId: string | null][] = [];

  const countTurn = (sessionId: string, ms: number, model: string | null, machine: string | null) => {
    const slot = Math.floor(ms / SLOT_MS);
    const key = `${sessionId}\u0000${slot}\u0000${model ?? '\u0001'}\u0000${machine ?? '\u0001'}`;
    let row = rows.get(key);
    if (!row) {
      row = [sessionId, slot, model, machine, 0, 0, 0, 0, 0, 0, 0];
      rows.set(key, row);
    }
    row[4]++;
    return row;
  };

  /**
   * The rollup row a turn counts in (its turn counted), or null when it has no session or timestamp, or when it
   * has neither model nor usage: such a turn is counted after the scan, under the model in effect in its session.
   */
  const rowOf = (r: TurnStatsRow): RollupRow | null => {
    if (r[0] === null) return null;
    const ms = Date.parse(r[1]);
    if (Number.isNaN(ms)) return null;
    if (r[2] === null) {
      if (total(r) === 0 && !r[13]) {
        modelless.push([r[0], ms, r[14]]);
        return null;
      }
    } else {
      let known = modelsInEffect.get(r[0]);
      if (!known) {
        known = { ms: [], models: [] };
        modelsInEffect.set(r[0], known);
      }
      known.ms.push(ms);
      known.models.push(r[2]);
    }
    return countTurn(r[0], ms, r[2], r[14]);
  };

  const addUsage = (r: TurnStatsRow, row: RollupRow) => {
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
    row[5] += r[7];
    row[6] += r[8];
    row[7] += r[9];
    row[8] += r[11];
    if (cost === null) row[10]++;
    else row[9] += cost;
  };

  let runMessage: string | null = null;
  let runRequest = '';
  let winner: TurnStatsRow | null = null;
  let winnerRow: RollupRow | null = null;
  const endRun = () => {
    if (winner !== null && winnerRow !== null) addUsage(winner, winnerRow);
    winner = null;
    winnerRow = null;
  };
  for (const r of scan.iterate() as IterableIterator<TurnStatsRow>) {
    const message = r[3];
    if (message === null) {
      const row = rowOf(r);
      if (row && total(r) !== 0) addUsage(r, row);
      continue;
    }
    const request = r[4] ?? '';
    if (message !== runMessage || request !== runRequest) {
      endRun();
      runMessage = message;
      runRequest = request;
    }
    const row = rowOf(r);
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
      winnerRow = row;
    }
  }
  endRun();
  for (const known of modelsInEffect.values()) {
    const order = known.ms.map((_, i) => i).sort((a, b) => known.ms[a]! - known.ms[b]!);
    known.ms = order.map((i) => known.ms[i]!);
    known.models = order.map((i) => known.models[i]!);
  }
  for (const [sessionId, ms, machine] of modelless) {
    countTurn(sessionId, ms, modelInEffect(modelsInEffect.get(sessionId), ms), machine);
  }
  return [...rows.values()];
}

/**
 * The model in effect at `ms` in a session: the model of its latest turn at or before that instant, else of its
 * first turn after it (a session's opening prompt counts under the model that answered it); null when no turn of
 * the session names a model.
 */
function modelInEffect(known: { ms: number[]; models: string[] } | undefined, ms: number): string | null {
  if (!known || known.ms.length === 0) return null;
  let lo = 0;
  let hi = known.ms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (known.ms[mid]! <= ms) lo = mid + 1;
    else hi = mid;
  }
  return known.models[lo === 0 ? 0 : lo - 1]!;
}

/**
 * Stores a rollup computed from the snapshot seen at `dataVersion` (SQLite's `data_version` of this connection)
 * and marks it valid, unless another connection has written since (then it stays stale and is rebuilt next
 * time) or the database is busy or read-only: storing is an optimisation, never a reason to fail. Returns
 * whether it was stored.
 */
export function storeUsageRollup(
  db: BetterSqlite3.Database,
  rollup: StoredRollup,
  pricesFingerprint: string,
  dataVersion: number,
): boolean {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 50');
  let began = false;
  try {
    db.exec('begin immediate');
    began = true;
    if ((db.pragma('data_version', { simple: true }) as number) !== dataVersion) return false;
    db.prepare('update usage_rollup set valid = 1, prices = ?, data = ? where id = 1').run(
      pricesFingerprint,
      JSON.stringify(rollup),
    );
    db.exec('commit');
    began = false;
    return true;
  } catch {
    return false;
  } finally {
    if (began && db.inTransaction) db.exec('rollback');
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
