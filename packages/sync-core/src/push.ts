/**
 * The push pipeline: takes pending records from the store in batches (parents first), keeps up to
 * `concurrency` requests in flight, stores each outcome as it arrives (store calls never overlap), splits a
 * batch the server refuses for one record's sake until that record is alone and parks it, and moves the
 * cursor over this device's own accepted writes.
 */
import { throwIfAborted } from './abort.js';
import { callRemote } from './call.js';
import {
  isRecordLevelSyncError,
  isSyncAbortedError,
  isSyncError,
  LimitExceededError,
  type SyncError,
} from './errors.js';
import { emptyPushReport, type PushReport, type SyncEvent } from './events.js';
import type {
  AbortSignalLike,
  AcceptedRecord,
  Clock,
  DeadLetter,
  LocalStore,
  PushResult,
  Remote,
  RemoteLimits,
  ServerRecord,
  SyncRecord,
} from './ports.js';
import { measuredRecordSize } from './size.js';

export interface PushPipelineOptions {
  store: LocalStore;
  remote: Remote;
  tables: readonly string[];
  clock: Clock;
  batchSize: number;
  batchBytes: number;
  /** Most requests in flight at once (at least 1). */
  concurrency: number;
  emit: (event: SyncEvent) => void;
}

/** The state one push shares between its concurrent requests. */
interface PushRun {
  deviceId: string;
  report: PushReport;
  signal: AbortSignalLike | undefined;
  /**
   * `table/id@version` of writes sent in this run whose outcome may not be stored: seeing one pending again means
   * it was not, and it is not sent again. Writes the server rejected or left unresolved and parked records stay
   * for the whole run (they are few); accepted writes stay only while their batch is among the last
   * `acceptedWindow` answered, long enough for the next read of the outbox to show whether `markPushed` took
   * them out. So the run's memory does not grow with the size of the upload.
   */
  decided: Set<string>;
  /** Keys in `decided` of the accepted writes of the last answered batches, oldest first. */
  acceptedBatches: string[][];
  acceptedWindow: number;
  /** Records in requests not answered yet (by table and id), and their JSON bytes. */
  inFlight: Set<string>;
  inFlightBytes: number;
  /** Seqs of this run's accepted writes the cursor has not passed yet. */
  ownSeqs: SeqRuns;
  /** The last store call of the run: store calls run one after another. */
  storeTurn: Promise<unknown>;
  /** A request was answered without resolving any record it sent: send no more. */
  stop: boolean;
  /** The server's caps (`Remote.limits`), when it states them. */
  limits: RemoteLimits | undefined;
  /** Failed tries of single records whose error may be the record's own doing (a statement timeout). */
  suspectTries: Map<string, number>;
  /** The first error that is not record level; the run stops taking batches and throws it at the end. */
  failure: { error: unknown } | undefined;
}

const recordKey = (record: { table: string; id: string }): string => `${record.table}\u0000${record.id}`;

/** Tries of a single record that keeps causing a statement timeout before it is parked. */
export const SUSPECT_TRIES = 3;

/**
 * A transient error one record can cause on its own: the server cancelled the statement (SQLSTATE 57014), as
 * it does when a record is too costly to store. Such a batch is split like a record-level refusal; a record
 * that fails alone `SUSPECT_TRIES` times is parked instead of stalling every sync.
 */
function isSuspectError(error: unknown): error is SyncError {
  return isSyncError(error) && error.transient && error.serverCode === '57014';
}

export class PushPipeline {
  private readonly options: PushPipelineOptions;

  constructor(options: PushPipelineOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('SyncEngine pushConcurrency must be a whole number of at least 1');
    }
    this.options = options;
  }

  /** Sends every pending record (in batches, parents first); parks records the server refuses for good. */
  async run(signal?: AbortSignalLike): Promise<PushReport> {
    const report = emptyPushReport();
    const deviceId = await this.options.store.deviceId();
    const run: PushRun = {
      deviceId,
      report,
      signal,
      decided: new Set<string>(),
      acceptedBatches: [],
      // Between storing a batch's outcome and the next read of the outbox, at most the other lanes' answers are
      // stored; twice that, and two more, leaves room.
      acceptedWindow: this.options.concurrency * 2 + 2,
      inFlight: new Set<string>(),
      inFlightBytes: 0,
      ownSeqs: new SeqRuns(),
      storeTurn: Promise.resolve(),
      stop: false,
      limits: undefined,
      suspectTries: new Map<string, number>(),
      failure: undefined,
    };
    // The server's caps shape the batches: asked for only when there is something to send, so a sync with
    // nothing to do stays one round trip (its pull).
    const anyPending = await this.options.store.pendingChanges({
      tables: this.options.tables,
      limit: 1,
      maxBytes: Number.POSITIVE_INFINITY,
    });
    if (anyPending.length > 0) run.limits = await this.serverLimits(signal);
    const lane = async (): Promise<void> => {
      while (!run.stop && run.failure === undefined) {
        let batch: { records: SyncRecord[]; bytes: number } | null;
        try {
          throwIfAborted(signal);
          batch = await this.inStoreTurn(run, () => this.takeBatch(run));
        } catch (error) {
          run.failure ??= { error };
          return;
        }
        if (batch === null) return;
        try {
          if (!(await this.pushBatch(run, batch.records, batch.bytes))) run.stop = true;
        } catch (error) {
          run.failure ??= { error };
        } finally {
          for (const record of batch.records) run.inFlight.delete(recordKey(record));
          run.inFlightBytes -= batch.bytes;
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    await run.storeTurn;
    if (run.failure !== undefined) throw run.failure.error;
    return report;
  }

  /** The server's caps, or undefined when it does not state them (an older schema, another backend). */
  private async serverLimits(signal: AbortSignalLike | undefined): Promise<RemoteLimits | undefined> {
    const { remote } = this.options;
    if (!remote.limits) return undefined;
    try {
      return await callRemote((s) => (remote.limits as NonNullable<Remote['limits']>)({ signal: s }), signal);
    } catch (error) {
      if (isSyncAbortedError(error)) throw error;
      // Not fatal: the server still refuses what is over its caps, and those records are parked then.
      return undefined;
    }
  }

  /** Runs a store call after every store call of the push started before it (they never overlap). */
  private inStoreTurn<T>(run: PushRun, fn: () => Promise<T>): Promise<T> {
    const call = run.storeTurn.then(fn);
    run.storeTurn = call.catch(() => undefined);
    return call;
  }

  /**
   * The next batch to send: the first pending records that are neither in flight nor already decided in this
   * run, at most `batchSize` records and about `batchBytes` (at least one). Null when there is none; when
   * nothing is in flight either, the pending records left (decided, so their outcome was not stored) count as
   * unresolved.
   */
  private async takeBatch(run: PushRun): Promise<{ records: SyncRecord[]; bytes: number } | null> {
    const batchSize = Math.min(this.options.batchSize, run.limits?.maxBatchRows ?? Number.POSITIVE_INFINITY);
    const batchBytes = Math.min(
      this.options.batchBytes,
      run.limits?.maxBatchBytes ?? Number.POSITIVE_INFINITY,
    );
    const maxRecordBytes = run.limits?.maxRecordBytes ?? Number.POSITIVE_INFINITY;
    const pending = await this.options.store.pendingChanges({
      tables: this.options.tables,
      limit: batchSize + run.inFlight.size,
      maxBytes: batchBytes + run.inFlightBytes,
      skip: run.inFlight.size > 0 ? (table, id) => run.inFlight.has(recordKey({ table, id })) : undefined,
    });
    const records: SyncRecord[] = [];
    let bytes = 0;
    let parked = 0;
    for (const record of pending) {
      const key = recordKey(record);
      if (run.inFlight.has(key) || run.decided.has(`${key}@${record.version}`)) continue;
      if (records.length >= batchSize) break;
      const size = measuredRecordSize(record);
      if (size > maxRecordBytes) {
        // Never sent: the server would refuse it whatever the batch. Parked once, with what to do.
        run.decided.add(`${key}@${record.version}`);
        await this.park(
          record,
          new LimitExceededError(
            `${record.table}/${record.id} has ${size} bytes; the server takes records of at most ${maxRecordBytes} bytes (max_record_bytes). It stays on this machine; raise the server's limit, then retry the parked records`,
            { serverCode: '54000' },
          ),
          run.report,
        );
        parked += 1;
        continue;
      }
      if (records.length > 0 && bytes + size > batchBytes) break;
      records.push(record);
      bytes += size;
    }
    if (records.length === 0) {
      // Records decided in this run and still pending: the store did not record their outcome. Stop
      // instead of sending them forever.
      if (run.inFlight.size === 0 && parked === 0) run.report.unresolved += pending.length;
      // Records parked just now: the store has more to offer.
      if (parked > 0) return this.takeBatch(run);
      return null;
    }
    for (const record of records) {
      run.decided.add(`${recordKey(record)}@${record.version}`);
      run.inFlight.add(recordKey(record));
    }
    run.inFlightBytes += bytes;
    return { records, bytes };
  }

  /** Pushes one batch; on a record-level permanent error splits it until the culprit is alone, then parks it. */
  private async pushBatch(
    run: PushRun,
    records: SyncRecord[],
    /** The batch's JSON size when the caller measured it already. */
    knownBytes?: number,
  ): Promise<boolean> {
    const { store, remote } = this.options;
    const deviceId = run.deviceId;
    let result: PushResult;
    try {
      result = await callRemote((s) => remote.push({ deviceId, records }, { signal: s }), run.signal);
    } catch (error) {
      if (isSuspectError(error)) return this.isolateSuspect(run, records, error);
      if (!isRecordLevelSyncError(error)) throw error;
      if (records.length === 1) {
        await this.inStoreTurn(run, () => this.park(records[0] as SyncRecord, error, run.report));
        return true;
      }
      const middle = Math.ceil(records.length / 2);
      const first = await this.pushBatch(run, records.slice(0, middle));
      const second = await this.pushBatch(run, records.slice(middle));
      return first || second;
    }

    const sent = new Map(records.map((record) => [recordKey(record), record]));
    const accepted: AcceptedRecord[] = [];
    const winners: ServerRecord[] = [];
    const resolved = new Set<string>();
    for (const entry of result.accepted) {
      const key = recordKey(entry);
      if (sent.get(key)?.version === entry.version && !resolved.has(key)) {
        accepted.push(entry);
        resolved.add(key);
      }
    }
    for (const entry of result.rejected) {
      const key = recordKey(entry);
      if (sent.get(key)?.version === entry.version && !resolved.has(key)) {
        winners.push(entry.winner);
        resolved.add(key);
      }
    }
    await this.inStoreTurn(run, async () => {
      if (accepted.length > 0) await store.markPushed(accepted);
      if (winners.length > 0) await store.applyServerRecords(winners);
      await this.advancePastOwnWrites(run, accepted);
      forgetOlderAccepted(run, accepted);
    });

    const report = run.report;
    let bytes = knownBytes ?? 0;
    if (knownBytes === undefined) for (const record of records) bytes += measuredRecordSize(record);
    report.batches += 1;
    report.records += records.length;
    report.bytes += bytes;
    report.accepted += accepted.length;
    report.rejected += winners.length;
    report.unresolved += records.length - resolved.size;
    this.options.emit({
      type: 'pushProgress',
      batchRecords: records.length,
      batchBytes: bytes,
      accepted: accepted.length,
      rejected: winners.length,
      pushedRecords: report.records,
      pushedBytes: report.bytes,
    });
    return resolved.size > 0;
  }

  /**
   * A batch cancelled by a statement timeout: halves are sent on their own until the record behind it is alone;
   * that record is tried `SUSPECT_TRIES` times in all and then parked with the error.
   */
  private async isolateSuspect(run: PushRun, records: SyncRecord[], error: SyncError): Promise<boolean> {
    if (records.length > 1) {
      const middle = Math.ceil(records.length / 2);
      const first = await this.pushBatch(run, records.slice(0, middle));
      const second = await this.pushBatch(run, records.slice(middle));
      return first || second;
    }
    const record = records[0] as SyncRecord;
    const key = recordKey(record);
    const tries = (run.suspectTries.get(key) ?? 0) + 1;
    run.suspectTries.set(key, tries);
    if (tries < SUSPECT_TRIES) return this.pushBatch(run, records);
    await this.inStoreTurn(run, () => this.park(record, error, run.report));
    return true;
  }

  /**
   * Read-your-writes: the seqs the server assigned to this device's accepted writes in this push are known
   * to hold nothing else, so the cursor moves over every one of them that directly follows it
   * (`cursor+1, cursor+2, …`) and they are not downloaded again. A seq missing from the run (another device's
   * write, or a batch still in flight) stops the advance there; the next pull brings it.
   */
  private async advancePastOwnWrites(run: PushRun, accepted: AcceptedRecord[]): Promise<void> {
    if (accepted.length === 0) return;
    for (const entry of accepted) run.ownSeqs.add(entry.changeSeq);
    const cursor = await this.options.store.getCursor();
    const next = run.ownSeqs.advance(cursor);
    if (next > cursor) await this.options.store.applyServerRecords([], next);
  }

  private async park(record: SyncRecord, error: SyncError, report: PushReport): Promise<void> {
    const letter: DeadLetter = {
      table: record.table,
      id: record.id,
      version: record.version,
      code: error.serverCode ?? error.code,
      message: error.message,
      at: new Date(this.options.clock.now()).toISOString(),
    };
    await this.options.store.deadLetter([letter]);
    report.deadLettered += 1;
    this.options.emit({ type: 'deadLettered', letters: [letter] });
  }
}

/**
 * Keeps the accepted writes of the last `acceptedWindow` answered batches in `decided` and forgets older ones:
 * their outcome is stored (`markPushed` ran before this) and reads of the outbox since then did not show them.
 */
function forgetOlderAccepted(run: PushRun, accepted: AcceptedRecord[]): void {
  if (accepted.length > 0) {
    run.acceptedBatches.push(accepted.map((entry) => `${recordKey(entry)}@${entry.version}`));
  }
  while (run.acceptedBatches.length > run.acceptedWindow) {
    for (const key of run.acceptedBatches.shift() as string[]) run.decided.delete(key);
  }
}

/**
 * A set of seqs kept as sorted, disjoint runs `[first, last]`: a push's own accepted seqs come in long
 * consecutive stretches, so this stays a few pairs even when another device's write keeps the cursor
 * from moving over them for the rest of the push.
 */
export class SeqRuns {
  private readonly runs: [number, number][] = [];

  /** Number of runs held (for tests). */
  get size(): number {
    return this.runs.length;
  }

  add(seq: number): void {
    const runs = this.runs;
    // The first run that ends at or after seq - 1 (runs are sorted and disjoint).
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((runs[mid] as [number, number])[1] < seq - 1) lo = mid + 1;
      else hi = mid;
    }
    const at = runs[lo];
    if (at === undefined || at[0] > seq + 1) {
      runs.splice(lo, 0, [seq, seq]);
      return;
    }
    at[0] = Math.min(at[0], seq);
    at[1] = Math.max(at[1], seq);
    const after = runs[lo + 1];
    if (after !== undefined && after[0] <= at[1] + 1) {
      at[1] = Math.max(at[1], after[1]);
      runs.splice(lo + 1, 1);
    }
  }

  /** The cursor moved over every held seq that directly follows it (`cursor+1, cursor+2, …`); those are dropped. */
  advance(cursor: number): number {
    let next = cursor;
    const runs = this.runs;
    while (runs.length > 0 && (runs[0] as [number, number])[0] <= next + 1) {
      next = Math.max(next, (runs.shift() as [number, number])[1]);
    }
    return next;
  }
}
