/**
 * The reference model of the server. The Postgres functions of a real backend must behave exactly like
 * this class (docs/sync-protocol.md states the same rules in prose); `runRemoteContract` checks it.
 */
import { systemClock } from '../clock.js';
import { compareVersions, normalizeTimestamp } from '../conflict.js';
import { summarizeRecords } from '../digest.js';
import { InvalidRecordError, SchemaMismatchError, type SyncError, SyncProtocolError } from '../errors.js';
import type {
  AcceptedRecord,
  CallOptions,
  Clock,
  PullPage,
  PullRequest,
  PushBatch,
  PushResult,
  RejectedRecord,
  Remote,
  ServerRecord,
  SyncRecord,
  TableSummary,
} from '../ports.js';

/** 30 days: tombstones older than this (by server commit time) may be purged. */
export const DEFAULT_PURGE_HORIZON_MS = 30 * 24 * 60 * 60 * 1000;

export interface MemoryServerOptions {
  /** Tables the server knows; a record of any other table fails the batch (`42P01`, record level). */
  tables: readonly string[];
  /** Server time (commit times for the purge horizon). */
  clock?: Clock;
  /** Largest pull page the server returns, whatever the client asks. Default 1000. */
  maxPullLimit?: number;
  /**
   * Extra validation, like a CHECK constraint: return an error to fail the whole batch (tests use it to
   * make one record fail permanently, e.g. with `ConstraintViolationError` code 23514).
   */
  validateRecord?: (record: SyncRecord) => SyncError | null;
}

interface StoredRecord {
  record: ServerRecord;
  /** Server time of the commit that wrote this version (ms). */
  committedAt: number;
  /** A purged tombstone: payload dropped, no longer pulled, still decides conflicts. */
  purged: boolean;
}

interface UserData {
  /** The per-user counter row: the last change_seq handed out. */
  lastSeq: number;
  /** Purge watermark: highest change_seq of a purged tombstone. */
  purgedThroughSeq: number;
  records: Map<string, StoredRecord>;
}

const key = (table: string, id: string) => `${table}\u0000${id}`;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** One server holding the data of many users; `connect(userId)` is a signed-in connection. */
export class MemoryServer {
  readonly tables: readonly string[];
  private readonly clock: Clock;
  private readonly maxPullLimit: number;
  private readonly validateRecord: ((record: SyncRecord) => SyncError | null) | undefined;
  private readonly users = new Map<string, UserData>();

  constructor(options: MemoryServerOptions) {
    this.tables = [...options.tables];
    this.clock = options.clock ?? systemClock;
    this.maxPullLimit = options.maxPullLimit ?? 1000;
    this.validateRecord = options.validateRecord;
  }

  connect(userId: string): MemoryRemote {
    return new MemoryRemote(this, userId);
  }

  private user(userId: string): UserData {
    let data = this.users.get(userId);
    if (!data) {
      data = { lastSeq: 0, purgedThroughSeq: 0, records: new Map() };
      this.users.set(userId, data);
    }
    return data;
  }

  /**
   * One push transaction. Validates the whole batch first (any invalid record fails the batch and
   * nothing is written), then decides each record against the stored copy under the conflict rule:
   * - no stored copy, or the incoming version wins: stored, with the next change_seq → accepted;
   * - the same write as the stored copy (equal version, updatedAt, deviceId): nothing changes → accepted
   *   with the stored change_seq (idempotent replay);
   * - the stored copy wins: nothing changes → rejected, with the stored copy as winner.
   */
  push(userId: string, batch: PushBatch): PushResult {
    const seen = new Set<string>();
    for (const record of batch.records) {
      this.check(record);
      const k = key(record.table, record.id);
      if (seen.has(k)) {
        throw new SyncProtocolError(`batch holds ${record.table}/${record.id} twice`, {
          serverCode: '21000',
        });
      }
      seen.add(k);
    }
    const data = this.user(userId);
    const now = this.clock.now();
    const accepted: AcceptedRecord[] = [];
    const rejected: RejectedRecord[] = [];
    for (const incoming of batch.records) {
      const k = key(incoming.table, incoming.id);
      const stored = data.records.get(k);
      const order = stored ? compareVersions(incoming, stored.record) : 1;
      if (order > 0) {
        data.lastSeq += 1;
        const record: ServerRecord = {
          table: incoming.table,
          id: incoming.id,
          version: incoming.version,
          updatedAt: normalizeTimestamp(incoming.updatedAt),
          deletedAt: incoming.deletedAt === null ? null : normalizeTimestamp(incoming.deletedAt),
          deviceId: incoming.deviceId,
          payload: clone(incoming.payload),
          changeSeq: data.lastSeq,
        };
        data.records.set(k, { record, committedAt: now, purged: false });
        accepted.push({
          table: record.table,
          id: record.id,
          version: record.version,
          changeSeq: record.changeSeq,
        });
      } else if (order === 0 && stored) {
        accepted.push({
          table: incoming.table,
          id: incoming.id,
          version: incoming.version,
          changeSeq: stored.record.changeSeq,
        });
      } else if (stored) {
        rejected.push({
          table: incoming.table,
          id: incoming.id,
          version: incoming.version,
          winner: clone(stored.record),
        });
      }
    }
    return { accepted, rejected };
  }

  private check(record: SyncRecord): void {
    const where = `${record.table}/${record.id}`;
    if (!this.tables.includes(record.table)) {
      throw new SchemaMismatchError(`relation "${record.table}" does not exist`, {
        serverCode: '42P01',
        recordLevel: true,
      });
    }
    if (typeof record.id !== 'string' || record.id.length === 0) {
      throw new InvalidRecordError(`${where}: id must be a non-empty string`, { serverCode: '22023' });
    }
    if (!Number.isSafeInteger(record.version) || record.version < 1) {
      throw new InvalidRecordError(`${where}: version must be an integer >= 1`, { serverCode: '22023' });
    }
    if (typeof record.deviceId !== 'string' || record.deviceId.length === 0) {
      throw new InvalidRecordError(`${where}: device id must be a non-empty string`, { serverCode: '22023' });
    }
    for (const [field, value] of [
      ['updatedAt', record.updatedAt],
      ['deletedAt', record.deletedAt ?? '1970-01-01T00:00:00Z'],
    ] as const) {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
        throw new InvalidRecordError(`${where}: ${field} is not an ISO-8601 time`, { serverCode: '22007' });
      }
    }
    if (typeof record.payload !== 'object' || record.payload === null || Array.isArray(record.payload)) {
      throw new InvalidRecordError(`${where}: payload must be an object`, { serverCode: '22023' });
    }
    const custom = this.validateRecord?.(record);
    if (custom) throw custom;
  }

  /**
   * Records with change_seq > cursor, ascending by change_seq, at most min(limit, maxPullLimit).
   * `nextCursor` is the last returned change_seq (the request's cursor when none); `hasMore` says whether
   * any record lies beyond it; `oldestRetainedSeq` is the purge watermark.
   */
  pull(userId: string, request: PullRequest): PullPage {
    if (!Number.isSafeInteger(request.cursor) || request.cursor < 0) {
      throw new InvalidRecordError('cursor must be an integer >= 0', { serverCode: '22023' });
    }
    if (!Number.isSafeInteger(request.limit) || request.limit < 1) {
      throw new InvalidRecordError('limit must be an integer >= 1', { serverCode: '22023' });
    }
    const data = this.user(userId);
    const limit = Math.min(request.limit, this.maxPullLimit);
    const after = [...data.records.values()]
      .filter((stored) => !stored.purged)
      .map((stored) => stored.record)
      .filter((record) => record.changeSeq > request.cursor)
      .sort((a, b) => a.changeSeq - b.changeSeq);
    const records = after.slice(0, limit).map(clone);
    const last = records[records.length - 1];
    return {
      records,
      nextCursor: last ? last.changeSeq : request.cursor,
      hasMore: after.length > records.length,
      oldestRetainedSeq: data.purgedThroughSeq,
    };
  }

  summarize(userId: string, tables: readonly string[]): TableSummary[] {
    const data = this.user(userId);
    return summarizeRecords(
      tables,
      [...data.records.values()].filter((stored) => !stored.purged).map((stored) => stored.record),
    );
  }

  /**
   * Purges, for every user, tombstones committed at least `horizonMs` ago (server time): the payload is
   * dropped and the tombstone leaves the pull stream, but its key and version stamp stay, so a stale write
   * of the record is still rejected (with the purged tombstone as winner). Each user's purge watermark
   * (`oldestRetainedSeq`) rises to the highest change_seq purged. Returns what was purged.
   */
  purgeTombstones(horizonMs: number = DEFAULT_PURGE_HORIZON_MS): { userId: string; record: ServerRecord }[] {
    const cutoff = this.clock.now() - horizonMs;
    const purged: { userId: string; record: ServerRecord }[] = [];
    for (const [userId, data] of this.users) {
      for (const stored of data.records.values()) {
        if (!stored.purged && stored.record.deletedAt !== null && stored.committedAt <= cutoff) {
          stored.purged = true;
          stored.record.payload = {};
          data.purgedThroughSeq = Math.max(data.purgedThroughSeq, stored.record.changeSeq);
          purged.push({ userId, record: clone(stored.record) });
        }
      }
    }
    return purged;
  }

  /** What a pull from 0 would return for a user (purged tombstones excluded), ascending by change_seq. */
  snapshot(userId: string): ServerRecord[] {
    return this.storedRecords(userId)
      .filter((r) => !r.purged)
      .map((r) => r.record);
  }

  /** Everything stored for a user, purged tombstones included (for assertions). */
  storedRecords(userId: string): { record: ServerRecord; purged: boolean }[] {
    return [...this.user(userId).records.values()]
      .map((stored) => ({ record: clone(stored.record), purged: stored.purged }))
      .sort((a, b) => a.record.changeSeq - b.record.changeSeq);
  }

  /** The per-user counter (last change_seq handed out). */
  lastSeq(userId: string): number {
    return this.user(userId).lastSeq;
  }
}

/** A signed-in connection to a `MemoryServer`: the `Remote` port for one user. */
export class MemoryRemote implements Remote {
  constructor(
    readonly server: MemoryServer,
    readonly userId: string,
  ) {}

  async push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    checkSignal(options);
    return this.server.push(this.userId, clone(batch));
  }

  async pull(request: PullRequest, options?: CallOptions): Promise<PullPage> {
    checkSignal(options);
    return this.server.pull(this.userId, request);
  }

  async summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]> {
    checkSignal(options);
    return this.server.summarize(this.userId, tables);
  }
}

function checkSignal(options: CallOptions | undefined): void {
  if (options?.signal?.aborted) {
    throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
  }
}
