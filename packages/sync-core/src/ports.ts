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
  /**
   * ISO-8601 UTC time of this version on the writing device's clock. A tie-breaker only, never a cursor;
   * compared at millisecond precision (servers store it truncated to milliseconds).
   */
  updatedAt: string;
  /**
   * ISO-8601 UTC time of deletion, or null. A deletion is a new version (version + 1) with `deletedAt` set;
   * the tombstone keeps its id and syncs like any change. Hosts never edit a tombstoned record.
   */
  deletedAt: string | null;
  /** Id of the device that wrote this version (the "origin device" of the version). */
  deviceId: string;
  /** The table's own columns, JSON-safe. Opaque to the engine. Empty for a tombstone is allowed. */
  payload: Record<string, unknown>;
}

/** A record as the server stores it: with the commit-ordered sequence number the server assigned. */
export interface ServerRecord extends SyncRecord {
  /**
   * Server-assigned, per user: every accepted write gets its own value, strictly greater than every
   * value assigned before it in commit order (a counter row locked inside the push transaction).
   * Unique per user. The pull cursor.
   */
  changeSeq: number;
}

export interface PushBatch {
  /** The pushing device. */
  deviceId: string;
  /**
   * At most one record per (table, id); in table order (parents first). The server decides each record
   * under the conflict rule in one transaction and assigns change_seq to accepted writes in batch order.
   */
  records: SyncRecord[];
}

export interface AcceptedRecord {
  table: string;
  id: string;
  version: number;
  /** The change_seq the server assigned (or already had, for an idempotent replay of the stored write). */
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

/** Every record of the batch appears exactly once, in `accepted` or in `rejected`. */
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
   * The purge watermark of the caller: the highest change_seq of any tombstone the server has purged
   * for this user (0 when none was ever purged). Purged tombstones are no longer sent by pulls (the server
   * keeps only their key and version stamp, so no stale write can bring them back). A client whose stored
   * cursor is below the watermark and that holds acknowledged records may have missed a deletion and must do
   * a full resync.
   */
  oldestRetainedSeq: number;
}

/**
 * Per-table summary used by `verify`. `count` and `checksum` cover live records only (tombstones are
 * purged on the server after the horizon but may be kept locally, so they are not compared); `deleted`
 * is informational.
 */
export interface TableSummary {
  table: string;
  /** Live (not deleted) records. */
  count: number;
  /** Tombstones currently held (on the server: not yet purged). */
  deleted: number;
  /**
   * Sum mod 2^32 of `recordDigest(table, id, version, false)` over live records (see the protocol):
   * the first 32 bits of md5(`${table}:${id}:${version}:0`) read as an unsigned big-endian integer.
   */
  checksum: number;
}

/** Options every port call accepts. */
export interface CallOptions {
  signal?: AbortSignalLike;
}

/**
 * The server, as the engine sees it. Failures are thrown as sync-core errors (`SyncError` subclasses;
 * adapters build them with `syncErrorFrom`), so the engine can tell transient from permanent ones.
 */
export interface Remote {
  push(batch: PushBatch, options?: CallOptions): Promise<PushResult>;
  pull(request: PullRequest, options?: CallOptions): Promise<PullPage>;
  /** Summaries of the caller's records per table, at the server's current state. */
  summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]>;
  /** The server's caps, when it states them: the push keeps them instead of learning them from refusals. */
  limits?(options?: CallOptions): Promise<RemoteLimits>;
}

/** The caps a server states for pushes (bytes as JSON text). */
export interface RemoteLimits {
  /** A record larger than this is never sent: it is parked at once. */
  maxRecordBytes: number;
  maxBatchRows: number;
  maxBatchBytes: number;
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
   *
   * `skip` (optional for stores to honour): a record for which it returns true is left out without being
   * read in full (the push passes the records it has in flight, so they are not read and encoded again); it
   * still counts toward `limit`, not toward `maxBytes`. A store that ignores it returns those records too,
   * and the push leaves them out itself.
   */
  pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
    skip?: (table: string, id: string) => boolean;
  }): Promise<SyncRecord[]>;
  /** Count of pending records per table (for status and progress). */
  pendingCounts(tables: readonly string[]): Promise<Record<string, number>>;
  /**
   * Marks records acknowledged at (table, id, version). A record edited locally since it was read has a
   * higher version and stays pending; an entry for a version the store no longer holds is ignored.
   * Idempotent.
   */
  markPushed(accepted: AcceptedRecord[]): Promise<void>;
  /**
   * Applies server records under the conflict rule (`compareVersions`) against local copies, in one
   * transaction together with storing `cursor` when given:
   * - no local copy, or the server record beats the local copy: the local copy becomes the server record,
   *   acknowledged (not pending) — a losing pending edit is discarded;
   * - the server record is the same write as the local copy (equal version, updatedAt, deviceId): the
   *   local copy becomes acknowledged;
   * - the local copy beats the server record: the local copy is kept unchanged (`keptLocal`), pending or not.
   * Used for pulled pages and for the winners of rejected pushes (without cursor).
   */
  applyServerRecords(records: ServerRecord[], cursor?: number): Promise<ApplyResult>;
  /** The last stored pull cursor (0 when never pulled). */
  getCursor(): Promise<number>;
  /**
   * Prepares a full resync: every record that has an acknowledged local copy (not pending) is marked
   * "unconfirmed", so that `finishFullResync` can drop what the server no longer sends (purged tombstones).
   * The stored cursor is left unchanged: the engine pulls from 0, applies pages without a cursor, calls
   * `finishFullResync`, and only then stores the new cursor, so a resync interrupted by a crash is detected
   * again and starts over. Calling it twice is harmless.
   */
  beginFullResync(): Promise<void>;
  /**
   * Ends a full resync: removes every record still "unconfirmed" (not received by `applyServerRecords`
   * since `beginFullResync`) and not pending now. Pending local edits always stay: they are
   * pushed and the server decides them against what it remembers of purged records.
   */
  finishFullResync(): Promise<void>;
  /**
   * Parks records that failed permanently at (table, id, version); they leave the pending set until a
   * newer local version is written (which is pending again) or `retryDeadLetters` releases them.
   */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  listDeadLetters(): Promise<DeadLetter[]>;
  /** Releases every dead letter back into the pending set; returns how many were released. */
  retryDeadLetters(): Promise<number>;
  /** Per-table summaries of local records, same definition as `Remote.summarize`. */
  summarize(tables: readonly string[]): Promise<TableSummary[]>;
}
