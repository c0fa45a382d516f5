/**
 * The contract between sync-core and its host. Hosts implement `LocalStore` (their database),
 * `Remote` (their server) and may replace `Clock` and `Random` (tests do).
 *
 * sync-core is pure TypeScript: it does no I/O of its own and imports no driver.
 * Everything here is plain data, safe to JSON-encode.
 */

/** Minimal structural view of the platform `AbortSignal`, so this package needs no DOM or Node types. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A record as sync exchanges it: one row of one table, at one version. */
export interface SyncRecord {
  /** Table name, e.g. `turns`. Tables are declared to the engine with a push order (parents first). */
  table: string;
  /** Primary key within the table (a UUID string in agentlogs). Unique per user on the server. */
  id: string;
  /** The record's edit counter: 1 when created, +1 by the device that edits it. Never assigned by the server. */
  version: number;
  /** ISO-8601 UTC time of this version on the writing device's clock. A tie-breaker only, never a cursor. */
  updatedAt: string;
  /** ISO-8601 UTC time of deletion, or null. A deleted record (tombstone) keeps its id and version. */
  deletedAt: string | null;
  /** Id of the device that wrote this version (the "origin device" of the version). */
  deviceId: string;
  /** The table's own columns, JSON-safe. Opaque to the engine. Empty for a tombstone is allowed. */
  payload: Record<string, unknown>;
}

/** A record as the server stores it: with the commit-ordered sequence number the server assigned. */
export interface ServerRecord extends SyncRecord {
  /** Server-assigned, strictly increasing per user in commit order. The pull cursor. */
  changeSeq: number;
}

export interface PushBatch {
  /** The pushing device. */
  deviceId: string;
  records: SyncRecord[];
}

export interface AcceptedRecord {
  table: string;
  id: string;
  version: number;
  /** The change_seq the server assigned (or already had, for an idempotent replay). */
  changeSeq: number;
}

export interface RejectedRecord {
  table: string;
  id: string;
  /** The version the client sent. */
  version: number;
  /** The server's copy, which won under the conflict rule. */
  winner: ServerRecord;
}

export interface PushResult {
  accepted: AcceptedRecord[];
  rejected: RejectedRecord[];
}

export interface PullRequest {
  /** Last change_seq this client has applied (0 = from the beginning). */
  cursor: number;
  /** Upper bound on records in the page. */
  limit: number;
}

export interface PullPage {
  /** Records with changeSeq > cursor, ascending by (changeSeq, table, id). Tombstones included. */
  records: ServerRecord[];
  /** The cursor to store after applying this page (the last record's changeSeq, or the request's cursor if empty). */
  nextCursor: number;
  /** True when more records follow after nextCursor. */
  hasMore: boolean;
  /**
   * Tombstones with changeSeq <= this value may have been purged. A client whose cursor is below it
   * (and above 0) must do a full resync.
   */
  oldestRetainedSeq: number;
}

/** Per-table summary used by `verify`: live and deleted counts and an order-independent checksum. */
export interface TableSummary {
  table: string;
  count: number;
  deleted: number;
  /** See `recordDigest` in the protocol: sum of per-record digests mod 2^32, as a number. */
  checksum: number;
}

/** Options every port call accepts. */
export interface CallOptions {
  signal?: AbortSignalLike;
}

/** The server, as the engine sees it. */
export interface Remote {
  push(batch: PushBatch, options?: CallOptions): Promise<PushResult>;
  pull(request: PullRequest, options?: CallOptions): Promise<PullPage>;
  /** Summaries of the caller's records per table, at the server's current state. */
  summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]>;
}

/** Time, injectable so the simulator and tests control it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignalLike): Promise<void>;
}

/** A source of uniform random numbers in [0, 1), for jitter. */
export type Random = () => number;

/** What applying pulled or winning records did locally. */
export interface ApplyResult {
  /** Records written (inserted, updated or tombstoned) locally. */
  applied: number;
  /** Records skipped because the local copy wins under the conflict rule (it will be pushed). */
  keptLocal: number;
}

/** A record parked after a permanent error. */
export interface DeadLetter {
  table: string;
  id: string;
  version: number;
  /** Error code from the server or the adapter, e.g. `23502`. */
  code: string;
  message: string;
  /** ISO-8601 time it was parked. */
  at: string;
}

/**
 * The device's own database, as the engine sees it. Implementations: the in-memory store of
 * `@agentlogs/sync-core/testing` and the SQLite store of `@agentlogs/local-store`; both pass the
 * `LocalStore` contract suite.
 */
export interface LocalStore {
  /** The device id written into every version this device creates. */
  deviceId(): Promise<string>;
  /**
   * Records whose local version is not yet acknowledged by the server, excluding dead letters,
   * ordered by the given table order (parents first), at most `limit` records and about `maxBytes`
   * of JSON (always at least one record when any is pending).
   */
  pendingChanges(options: { tables: readonly string[]; limit: number; maxBytes: number }): Promise<SyncRecord[]>;
  /** Count of pending records per table (for status and progress). */
  pendingCounts(tables: readonly string[]): Promise<Record<string, number>>;
  /**
   * Marks records acknowledged at (id, version). A record edited locally since it was read has a higher
   * version and stays pending.
   */
  markPushed(accepted: AcceptedRecord[]): Promise<void>;
  /**
   * Applies server records under the conflict rule against local copies (a local pending copy that wins
   * is kept and stays pending), and, when `cursor` is given, stores it in the same transaction.
   * Used for pulled pages and for the winners of rejected pushes (without cursor).
   */
  applyServerRecords(records: ServerRecord[], cursor?: number): Promise<ApplyResult>;
  /** The last stored pull cursor (0 when never pulled). */
  getCursor(): Promise<number>;
  /**
   * Prepares a full resync: cursor back to 0 and every acknowledged record marked "unconfirmed" so that
   * `finishFullResync` can drop local acknowledged records the server no longer has (purged tombstones).
   */
  beginFullResync(): Promise<void>;
  /** Ends a full resync: removes acknowledged records not seen since `beginFullResync`. */
  finishFullResync(): Promise<void>;
  /** Parks records that failed permanently; they leave the pending set until retried or edited. */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  listDeadLetters(): Promise<DeadLetter[]>;
  /** Per-table summaries of local records, same definition as `Remote.summarize`. */
  summarize(tables: readonly string[]): Promise<TableSummary[]>;
}
