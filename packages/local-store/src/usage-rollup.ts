/**
 * The usage rollup (`usage_rollup`): per session, 15-minute UTC slot, model and machine, the turns and the
 * usage and cost of the responses, built from the turns by one scan and stored for the next `stats`. The stats
 * report (`@agentlogs/ingest` `computeStats`) adds these entries up; this module is its only SQL.
 */
import { isEnvelope } from '@agentlogs/content-policy';
import type BetterSqlite3 from 'better-sqlite3';
import { withBusyTimeout } from './connection.js';
import type { TokenUsage } from './records.js';

/** What the rollup prices usage with (the ingest price table). */
export interface UsagePrices {
  /** Changes when any price changes: a rollup built with other prices is rebuilt. */
  readonly fingerprint: string;
  /** Cost in USD of one response, or null when the model has no price. */
  cost(model: string | null, usage: TokenUsage, speed: string | null): number | null;
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

/**
 * One rollup entry in readable form (`rollupEntries`): the turns of one session in one 15-minute UTC slot, with
 * one model on one machine.
 */
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
export const SLOT_MS = 15 * 60_000;

export interface SessionFacts {
  native: string | null;
  cwd: string | null;
  projectId: string | null;
  /** The agent that wrote it, as stored in `sessions.source` (`claude_code`, `codex`, …). */
  agent: string | null;
  /** Its last activity (ISO 8601). */
  endedAt: string | null;
}

export interface UsageSnapshot {
  rollup: StoredRollup;
  sessions: Map<string, SessionFacts>;
  projectPaths: Map<string, string | null>;
  machines: Map<string, string | null>;
}

/**
 * How `stats --by project` names a project (docs/privacy.md): by its path as held here — the full path on the
 * machine that recorded it or pulled it at `redacted`/`full`, its last component when it arrived at `metrics` —,
 * else by the session's working directory; when neither travelled (sent by a machine without the encryption key)
 * or both are encrypted and this machine cannot read them, by the start of the project's id, so the projects still
 * group apart. This is the session's fallback; an encrypted project path is labelled where it is read.
 */
function sessionPlace(cwd: string | null, projectId: string | null): string | null {
  if (isEnvelope(cwd)) return projectId ? `(locked project ${projectId.slice(0, 8)})` : '(locked)';
  if (cwd === null && projectId) return `(project ${projectId.slice(0, 8)})`;
  return cwd;
}

/**
 * The rollup and the small tables stats joins it with (live sessions, project paths, machine names), read in
 * one snapshot. The rollup is rebuilt from the turns first when a turn changed since it was built or the prices
 * are others, and the rebuilt one is stored.
 */
export function readUsageSnapshot(db: BetterSqlite3.Database, prices: UsagePrices): UsageSnapshot {
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
      rollup = buildUsageRollup(db, prices);
      rebuilt = true;
    }
    for (const [id, path] of db
      .prepare('select id, path from projects where deleted_at is null')
      .raw()
      .all() as [string, string | null][]) {
      projectPaths.set(id, isEnvelope(path) ? `(locked project ${id.slice(0, 8)})` : path);
    }
    readSessionFacts(db, sessions);
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
 * Brings the stored rollup up to date without reading it: when a turn changed since it was built (or the prices
 * are others) it is rebuilt from the turns in one read snapshot and stored, as `readUsageSnapshot` would; when it
 * is current, only its flag is read. What an import that wrote turns does at its end, so that the next reader
 * (`stats`, the dashboard's cost chart) finds it built. Returns whether it rebuilt and stored it.
 */
export function refreshUsageRollup(db: BetterSqlite3.Database, prices: UsagePrices): boolean {
  const stored = db
    .prepare('select valid, prices, data is not null as built from usage_rollup where id = 1')
    .get() as { valid: number; prices: string | null; built: number } | undefined;
  if (stored?.valid === 1 && stored.prices === prices.fingerprint && stored.built === 1) return false;
  const dataVersion = db.pragma('data_version', { simple: true }) as number;
  const rollup = db.transaction(() => buildUsageRollup(db, prices))();
  return storeUsageRollup(db, rollup, prices.fingerprint, dataVersion);
}

/**
 * The live (not tombstoned) sessions' facts that stats shows and filters by, into `into` (a new map without it);
 * with `activeSince` (ISO 8601), only the sessions with activity since then.
 */
export function readSessionFacts(
  db: BetterSqlite3.Database,
  into: Map<string, SessionFacts> = new Map(),
  activeSince?: string,
): Map<string, SessionFacts> {
  const columns =
    'select id, native_id, cwd, project_id, source, ended_at from sessions where deleted_at is null';
  const query =
    activeSince === undefined
      ? db.prepare(columns).raw()
      : db.prepare(`${columns} and ended_at >= ?`).raw().bind(activeSince);
  for (const [id, native, cwd, projectId, agent, endedAt] of query.all() as [
    string,
    string | null,
    string | null,
    string | null,
    string | null,
    string | null,
  ][]) {
    into.set(id, { native, cwd: sessionPlace(cwd, projectId), projectId, agent, endedAt });
  }
  return into;
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
  /** `ROLLUP_WIDTH` numbers per entry: a typed table as built, an array as read back. */
  rows: number[] | Float64Array;
}

export const ROLLUP_WIDTH = 11;

/** The stored rollup's entries in readable form, one `RollupRow` each, in their stored order. */
export function rollupEntries(rollup: StoredRollup): RollupRow[] {
  const { sessions, models, machines, rows } = rollup;
  const entries: RollupRow[] = [];
  for (let at = 0; at < rows.length; at += ROLLUP_WIDTH) {
    entries.push([
      sessions[rows[at]!]!,
      rows[at + 1]!,
      models[rows[at + 2]!] ?? null,
      machines[rows[at + 3]!] ?? null,
      rows[at + 4]!,
      rows[at + 5]!,
      rows[at + 6]!,
      rows[at + 7]!,
      rows[at + 8]!,
      rows[at + 9]!,
      rows[at + 10]!,
    ]);
  }
  return entries;
}

/**
 * The stored form's text: JSON, with the entries' numbers written straight from their table (no array of them is
 * made). The same text as `JSON.stringify` of the rollup with its numbers in an array.
 */
export function stringifyRollup(rollup: StoredRollup): string {
  const { rows, ...rest } = rollup;
  let finite = true;
  for (let i = 0; i < rows.length && finite; i++) finite = Number.isFinite(rows[i]);
  // `join` writes each number as JSON does, except those JSON writes as null.
  const numbers = finite ? rows.join(',') : JSON.stringify(Array.from(rows)).slice(1, -1);
  const head = JSON.stringify({ ...rest, rows: null });
  return `${head.slice(0, -'null}'.length)}[${numbers}]}`;
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
 * The scan's index: `idx_turns_usage`, unless a first import that was killed before its end left it unbuilt
 * (the next import builds it): then the rows are sorted instead.
 */
function usageIndexHint(db: BetterSqlite3.Database): string {
  const present = db
    .prepare("select 1 from sqlite_master where type = 'index' and name = 'idx_turns_usage'")
    .get();
  return present ? 'indexed by idx_turns_usage' : '';
}

/**
 * Computes the usage rollup from every non-tombstoned turn. A response's usage counts once: among the turns
 * carrying the same message id and request id, the non-sidechain one with the largest usage (then the one with
 * a speed, then the first) is kept, and its usage counts in that turn's own rollup row. Every turn with a
 * readable timestamp counts in `turns`, one with neither model nor usage under the model in effect in its session
 * at its time (see `ModelTimelines.modelAt`).
 */
export function buildUsageRollup(db: BetterSqlite3.Database, prices: UsagePrices): StoredRollup {
  // Hand-tuned hot path, measured by `pnpm bench` (ingest section: stats after import, and the 5× tree's first
  // import, whose peak RSS this build set when it kept per-turn arrays and string copies per session).
  // The scan follows idx_turns_usage, which starts with (message_id, request_id): the turns carrying one
  // response arrive next to each other (no request id sorts just before an empty one, and they count as the
  // same), so each response's winner is known when its run of rows ends, and no row is kept after that.
  const scan = db
    .prepare(
      `select ${TURN_USAGE_COLUMNS} from turns ${usageIndexHint(db)} where deleted_at is null
        order by message_id, request_id`,
    )
    .raw();
  // Each row's strings are fresh copies: what is kept until the scan ends is each distinct string once, and per
  // turn only numbers, in typed columns (16 bytes a turn). The entries are built in their stored form, numbers
  // in one typed table: as arrays of strings and numbers, then flattened, the 5× bench tree's 30,000 entries
  // took 8 MB more heap at the end of its first import than anything before (the import's peak RSS).
  const sessions = new Interned<string>();
  const models = new Interned<string | null>();
  const machines = new Interned<string | null>();
  const table = new RollupTable();
  /** Each entry's offset in `table`, by session, slot, model and machine. */
  const rows = new Map<string, number>();
  /** The turns that name a model: what a session's model-less turns count under. */
  const modelTurns = new TurnColumns();
  /** The turns with neither a model nor usage (prompts, tool results), placed once every model is known. */
  const modellessTurns = new TurnColumns();

  const countTurn = (session: number, ms: number, model: number, machine: number) => {
    const slot = Math.floor(ms / SLOT_MS);
    const key = `${session} ${slot} ${model} ${machine}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = table.add(session, slot, model, machine);
      rows.set(key, row);
    }
    table.data[row + 4]!++;
    return row;
  };

  /**
   * The rollup row a turn counts in (its turn counted), or null when it has no session or timestamp, or when it
   * has neither model nor usage: such a turn is counted after the scan, under the model in effect in its session.
   */
  const rowOf = (r: TurnStatsRow): number | null => {
    if (r[0] === null) return null;
    const ms = Date.parse(r[1]);
    if (Number.isNaN(ms)) return null;
    const session = sessions.index(r[0]);
    const model = models.index(r[2]);
    const machine = machines.index(r[14]);
    if (r[2] === null) {
      if (usageTotal(r) === 0 && !r[13]) {
        modellessTurns.push(ms, session, machine);
        return null;
      }
    } else {
      modelTurns.push(ms, session, model);
    }
    return countTurn(session, ms, model, machine);
  };

  forEachResponse(scan.iterate() as IterableIterator<TurnStatsRow>, prices, rowOf, (r, row, cost) => {
    const data = table.data;
    data[row + 5]! += r[7];
    data[row + 6]! += r[8];
    data[row + 7]! += r[9];
    data[row + 8]! += r[11];
    if (cost === null) data[row + 10]!++;
    else data[row + 9]! += cost;
  });
  const timelines = new ModelTimelines(modelTurns, sessions.size);
  // Session by session, in the order of each session's first model-less turn, each in scan order: the order in
  // which their rows are first made (and stored) does not depend on how the turns are held.
  const noModel = models.index(null);
  for (const i of modellessTurns.bySessionInOrderSeen(sessions.size)) {
    const session = modellessTurns.session[i]!;
    const ms = modellessTurns.ms[i]!;
    countTurn(session, ms, timelines.modelAt(session, ms) ?? noModel, modellessTurns.value[i]!);
  }
  return {
    format: 2,
    sessions: sessions.list(),
    models: models.list(),
    machines: machines.list(),
    rows: table.numbers(),
  };
}

/** Rollup entries as they are built: `ROLLUP_WIDTH` numbers each, in the stored order (see `StoredRollup`). */
class RollupTable {
  data = new Float64Array(1024 * ROLLUP_WIDTH);
  private end = 0;

  /** A new entry with zero counts; returns its offset. */
  add(session: number, slot: number, model: number, machine: number): number {
    if (this.end === this.data.length) {
      const data = new Float64Array(Math.ceil(this.data.length / ROLLUP_WIDTH / 2) * 3 * ROLLUP_WIDTH);
      data.set(this.data);
      this.data = data;
    }
    const at = this.end;
    this.data[at] = session;
    this.data[at + 1] = slot;
    this.data[at + 2] = model;
    this.data[at + 3] = machine;
    this.end += ROLLUP_WIDTH;
    return at;
  }

  /** The entries' numbers (a view of the table). */
  numbers(): Float64Array {
    return this.data.subarray(0, this.end);
  }
}

/** Distinct values, each held once, by index. */
class Interned<T> {
  private readonly values: T[] = [];
  private readonly positions = new Map<T, number>();

  get size(): number {
    return this.values.length;
  }

  /** The index of `value`, added when new. */
  index(value: T): number {
    let i = this.positions.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.positions.set(value, i);
    }
    return i;
  }

  list(): T[] {
    return this.values;
  }
}

/** Per turn: its instant (epoch ms), its session's index and one more index (a model or a machine). */
class TurnColumns {
  length = 0;
  ms = new Float64Array(1024);
  session = new Int32Array(1024);
  value = new Int32Array(1024);

  push(ms: number, session: number, value: number): void {
    if (this.length === this.ms.length) this.grow();
    this.ms[this.length] = ms;
    this.session[this.length] = session;
    this.value[this.length] = value;
    this.length++;
  }

  private grow(): void {
    const capacity = Math.ceil(this.ms.length * 1.5);
    const ms = new Float64Array(capacity);
    const session = new Int32Array(capacity);
    const value = new Int32Array(capacity);
    ms.set(this.ms);
    session.set(this.session);
    value.set(this.value);
    this.ms = ms;
    this.session = session;
    this.value = value;
  }

  /** The turns' positions grouped by session, the sessions in the order first seen here, each in turn order. */
  bySessionInOrderSeen(sessionCount: number): Int32Array {
    const rank = new Int32Array(sessionCount).fill(-1);
    const counts: number[] = [];
    for (let i = 0; i < this.length; i++) {
      const s = this.session[i]!;
      if (rank[s] === -1) {
        rank[s] = counts.length;
        counts.push(0);
      }
      counts[rank[s]!]!++;
    }
    const next = new Int32Array(counts.length);
    for (let r = 1; r < counts.length; r++) next[r] = next[r - 1]! + counts[r - 1]!;
    const order = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) order[next[rank[this.session[i]!]!]!++] = i;
    return order;
  }
}

/** The models each session's turns name, in time order (see `modelAt`). */
class ModelTimelines {
  private readonly ms: Float64Array;
  private readonly models: Int32Array;
  /** Per session, where its turns start in `ms` and `models` (its end is the next session's start). */
  private readonly starts: Int32Array;

  constructor(turns: TurnColumns, sessionCount: number) {
    const order = new Int32Array(turns.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    // By session, then instant; turns at one instant in scan order (the last of them is in effect).
    order.sort((a, b) => turns.session[a]! - turns.session[b]! || turns.ms[a]! - turns.ms[b]! || a - b);
    this.ms = new Float64Array(order.length);
    this.models = new Int32Array(order.length);
    this.starts = new Int32Array(sessionCount + 1);
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      this.ms[k] = turns.ms[i]!;
      this.models[k] = turns.value[i]!;
      this.starts[turns.session[i]! + 1]! += 1;
    }
    for (let s = 0; s < sessionCount; s++) this.starts[s + 1]! += this.starts[s]!;
  }

  /**
   * The model in effect at `ms` in a session: the model of its latest turn at or before that instant, else of its
   * first turn after it (a session's opening prompt counts under the model that answered it); undefined when no
   * turn of the session names a model.
   */
  modelAt(session: number, ms: number): number | undefined {
    const first = this.starts[session]!;
    const end = this.starts[session + 1]!;
    if (first === end) return undefined;
    let lo = first;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ms[mid]! <= ms) lo = mid + 1;
      else hi = mid;
    }
    return this.models[lo === first ? first : lo - 1];
  }
}

/** The columns of `TurnStatsRow`, in its order. */
const TURN_USAGE_COLUMNS = `session_id, timestamp, model, message_id, request_id, is_sidechain, speed, input_tokens,
  output_tokens, cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, machine_id`;

const usageTotal = (r: TurnStatsRow) => r[7] + r[8] + r[9] + r[11];

/**
 * The rule that counts each response once, stated here only. `rows` come ordered by message id then request id
 * (no request id counts as an empty one). `turn` is called for every row and says where the row counts (or null);
 * `usage` is called once per response with usage: for a turn without a message id, itself; for the turns that carry
 * one message id and request id, the non-sidechain one with the largest usage (then the one with a speed, then the
 * first), with its cost (the transcript's `costUSD`, else the price table's; null when the model has no price).
 */
function forEachResponse<T>(
  rows: Iterable<TurnStatsRow>,
  prices: UsagePrices,
  turn: (r: TurnStatsRow) => T | null,
  usage: (r: TurnStatsRow, target: T, cost: number | null) => void,
): void {
  const addUsage = (r: TurnStatsRow, target: T) =>
    usage(
      r,
      target,
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
        ),
    );
  let runMessage: string | null = null;
  let runRequest = '';
  let winner: TurnStatsRow | null = null;
  let winnerTarget: T | null = null;
  const endRun = () => {
    if (winner !== null && winnerTarget !== null) addUsage(winner, winnerTarget);
    winner = null;
    winnerTarget = null;
  };
  for (const r of rows) {
    const message = r[3];
    if (message === null) {
      const target = turn(r);
      if (target !== null && usageTotal(r) !== 0) addUsage(r, target);
      continue;
    }
    const request = r[4] ?? '';
    if (message !== runMessage || request !== runRequest) {
      endRun();
      runMessage = message;
      runRequest = request;
    }
    const target = turn(r);
    if (usageTotal(r) === 0) continue;
    const w: TurnStatsRow | null = winner;
    const better =
      w === null ||
      (r[5] !== w[5]
        ? r[5] < w[5]
        : usageTotal(r) !== usageTotal(w)
          ? usageTotal(r) > usageTotal(w)
          : r[6] !== null && w[6] === null);
    if (better) {
      winner = r;
      winnerTarget = target;
    }
  }
  endRun();
}

/** One response with usage, counted once (see `forEachResponse`): what billing blocks and the statusline add up. */
export interface UsageEntry {
  sessionId: string;
  /** Epoch milliseconds of the turn that carries the counted usage. */
  ms: number;
  model: string | null;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  /** USD, or null when the model has no price. */
  cost: number | null;
}

/**
 * Every response with usage at or after `since` (an ISO 8601 instant; all of them without it), counted once as
 * the rollup counts them, in time order. With `since`, only the turns of sessions active since then are read
 * (found by idx_sessions_ended, then by idx_turns_session: turns have no index by time, which would cost every
 * insert), so reading the last hours of a large database costs about those sessions; a response whose copies lie
 * on both sides of `since` counts its copies from `since` on.
 */
export function readUsageEntries(
  db: BetterSqlite3.Database,
  prices: UsagePrices,
  since?: string,
): UsageEntry[] {
  const scan = db
    .prepare(
      since === undefined
        ? `select ${TURN_USAGE_COLUMNS} from turns ${usageIndexHint(db)} where deleted_at is null
            order by message_id, request_id`
        : `select ${TURN_USAGE_COLUMNS} from turns indexed by idx_turns_session
            where session_id in (select id from sessions
                                  where ended_at >= @since and deleted_at is null)
              and timestamp >= @since and deleted_at is null
            order by message_id, request_id`,
    )
    .raw();
  const rows = (
    since === undefined ? scan.iterate() : scan.iterate({ since })
  ) as IterableIterator<TurnStatsRow>;
  const entries: UsageEntry[] = [];
  forEachResponse(
    rows,
    prices,
    (r) => (r[0] === null || Number.isNaN(Date.parse(r[1])) ? null : r),
    (r, _target, cost) =>
      entries.push({
        sessionId: r[0]!,
        ms: Date.parse(r[1]),
        model: r[2],
        input: r[7],
        output: r[8],
        cacheCreation: r[9],
        cacheRead: r[11],
        cost,
      }),
  );
  return entries.sort((a, b) => a.ms - b.ms);
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
  return withBusyTimeout(db, 50, () => {
    let began = false;
    try {
      db.exec('begin immediate');
      began = true;
      if ((db.pragma('data_version', { simple: true }) as number) !== dataVersion) return false;
      db.prepare('update usage_rollup set valid = 1, prices = ?, data = ? where id = 1').run(
        pricesFingerprint,
        stringifyRollup(rollup),
      );
      db.exec('commit');
      began = false;
      return true;
    } catch {
      return false;
    } finally {
      if (began && db.inTransaction) db.exec('rollback');
    }
  });
}
