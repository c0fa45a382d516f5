/**
 * The sync engine: push (the outbox), pull (cursor catch-up, forced full resync), sync (rounds of both),
 * verify, and a continuous scheduler driven by the state machine of `state-machine.ts`.
 */

import type { AbortControllerLike } from './abort.js';
import { abortError, createAbortController, linkedAbortController, throwIfAborted } from './abort.js';
import { type BackoffPolicy, backoffDelay, defaultBackoffPolicy } from './backoff.js';
import { systemClock, systemRandom } from './clock.js';
import {
  isRecordLevelSyncError,
  isSyncAbortedError,
  isSyncError,
  SyncAbortedError,
  type SyncError,
  SyncNetworkError,
  SyncProtocolError,
} from './errors.js';
import type {
  AbortSignalLike,
  AcceptedRecord,
  Clock,
  DeadLetter,
  LocalStore,
  PullPage,
  PushResult,
  Random,
  Remote,
  ServerRecord,
  SyncRecord,
  TableSummary,
} from './ports.js';
import { recordByteSize } from './size.js';
import { nextSyncState, type SyncInput, type SyncState } from './state-machine.js';

export interface SyncEngineOptions {
  store: LocalStore;
  remote: Remote;
  /** Synced tables in push order, parents first (e.g. `['sessions', 'turns']`). Only these are pushed. */
  tables: readonly string[];
  clock?: Clock;
  random?: Random;
  /** Most records per push request. Default 500. */
  batchSize?: number;
  /** About this many bytes of JSON per push request (at least one record). Default 1 MiB. */
  batchBytes?: number;
  /**
   * Most push requests in flight at once. Default 2: the next batch is encoded, sent and parsed while the
   * server applies the previous one. 1 sends one request after another. Each request takes the next pending
   * records that are not in flight; outcomes are stored as they arrive. The server decides each record on its
   * own, so the outcome does not depend on which of two requests commits first.
   */
  pushConcurrency?: number;
  /** Records per pull page. Default 1000. */
  pullLimit?: number;
  /** Most pull → push rounds per sync. Default 5. */
  maxRounds?: number;
  /** Retry delays for transient errors. Default 15 s doubling to 5 min, ±20 % jitter. */
  backoff?: Partial<BackoffPolicy>;
  /** Continuous mode: wait this long after the last local change before syncing. Default 500 ms. */
  debounceMs?: number;
  /** Continuous mode: pull this often when idle (0 = only on hints). Default 0. */
  pollIntervalMs?: number;
  onEvent?: (event: SyncEvent) => void;
}

export interface PushReport {
  /** Requests that reached an outcome (split batches count each part). */
  batches: number;
  /** Records sent in requests that reached an outcome. */
  records: number;
  bytes: number;
  accepted: number;
  rejected: number;
  deadLettered: number;
  /** Records sent whose outcome the server did not report; they stay pending. */
  unresolved: number;
}

export interface PullReport {
  pages: number;
  records: number;
  bytes: number;
  applied: number;
  keptLocal: number;
  /** Cursor stored at the end. */
  cursor: number;
  /** True when the server's purge watermark forced a full resync. */
  fullResync: boolean;
}

export interface SyncReport {
  rounds: number;
  /** True when the last push found nothing to send (false: the round limit stopped it). */
  quiet: boolean;
  pull: PullReport;
  push: PushReport;
}

export interface TableComparison {
  table: string;
  local: TableSummary;
  remote: TableSummary;
  /** Live counts and checksums are equal. */
  match: boolean;
}

export interface VerifyReport {
  ok: boolean;
  tables: TableComparison[];
  /** Local records parked as dead letters (they are local-only, so their tables differ). */
  deadLetters: number;
  /** A re-download ran because of a mismatch (`repair: true`). */
  repaired: boolean;
  /** The comparison after the re-download, when one ran. */
  after?: TableComparison[];
}

export type SyncEvent =
  | { type: 'state'; from: SyncState; to: SyncState; input: SyncInput }
  | {
      type: 'pushProgress';
      /** This request. */
      batchRecords: number;
      batchBytes: number;
      accepted: number;
      rejected: number;
      /** Totals of the running push. */
      pushedRecords: number;
      pushedBytes: number;
    }
  | {
      type: 'pullProgress';
      records: number;
      bytes: number;
      cursor: number;
      pulledRecords: number;
      pulledBytes: number;
    }
  | { type: 'fullResync'; phase: 'start' | 'finish'; cursor: number; oldestRetainedSeq: number }
  | { type: 'deadLettered'; letters: DeadLetter[] }
  | { type: 'retryScheduled'; attempt: number; delayMs: number; error: SyncError }
  | { type: 'error'; error: unknown };

export interface SyncStatus {
  state: SyncState;
  cursor: number;
  pending: Record<string, number>;
  deadLetters: DeadLetter[];
  lastError: unknown;
}

export interface RunOptions {
  signal?: AbortSignalLike;
}

export interface SyncOptions extends RunOptions {
  /** Retry transient errors this many times with backoff before giving up. Default 0. */
  retries?: number;
}

export interface VerifyOptions extends RunOptions {
  /** On mismatch, re-download everything (full resync) and compare again. */
  repair?: boolean;
}

const emptyPush = (): PushReport => ({
  batches: 0,
  records: 0,
  bytes: 0,
  accepted: 0,
  rejected: 0,
  deadLettered: 0,
  unresolved: 0,
});

/** The state one push shares between its concurrent requests. */
interface PushRun {
  deviceId: string;
  report: PushReport;
  /** `table/id@version` of every write sent in this run: seeing one pending again means its outcome was not stored. */
  decided: Set<string>;
  /** Records in requests not answered yet (by table and id), and their JSON bytes. */
  inFlight: Set<string>;
  inFlightBytes: number;
  /** Seqs of this run's accepted writes the cursor has not passed yet. */
  ownSeqs: Set<number>;
  /** The last store call of the run: store calls run one after another. */
  storeTurn: Promise<unknown>;
  /** A request was answered without resolving any record it sent: send no more. */
  stop: boolean;
  /** The first error that is not record level; the run stops taking batches and throws it at the end. */
  failure: { error: unknown } | undefined;
}

const recordKey = (record: { table: string; id: string }): string => `${record.table}\u0000${record.id}`;

/** An error a retry may cure: a transient sync error, or any error carrying `transient: true`. */
function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true;
}

/** Most consecutive pull pages that may fail to advance the cursor before the server is declared broken. */
const MAX_STALLED_PAGES = 10;

export class SyncEngine {
  private readonly store: LocalStore;
  private readonly remote: Remote;
  private readonly tables: readonly string[];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly batchSize: number;
  private readonly batchBytes: number;
  private readonly pushConcurrency: number;
  private readonly pullLimit: number;
  private readonly maxRounds: number;
  private readonly backoff: BackoffPolicy;
  private readonly debounceMs: number;
  private readonly pollIntervalMs: number;
  private readonly listeners = new Set<(event: SyncEvent) => void>();

  private queue: Promise<unknown> = Promise.resolve();

  // Continuous mode.
  private current: SyncState = 'stopped';
  private stepController: AbortControllerLike | undefined;
  private stepToken = 0;
  private inflight: Promise<void> = Promise.resolve();
  private dirty = false;
  private round = 0;
  private attempt = 0;
  private notBefore = 0;
  private lastError: unknown;

  constructor(options: SyncEngineOptions) {
    if (options.tables.length === 0) throw new RangeError('SyncEngine needs at least one table');
    this.store = options.store;
    this.remote = options.remote;
    this.tables = [...options.tables];
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.batchSize = options.batchSize ?? 500;
    this.batchBytes = options.batchBytes ?? 1024 * 1024;
    this.pushConcurrency = options.pushConcurrency ?? 2;
    if (!Number.isInteger(this.pushConcurrency) || this.pushConcurrency < 1) {
      throw new RangeError('SyncEngine pushConcurrency must be a whole number of at least 1');
    }
    this.pullLimit = options.pullLimit ?? 1000;
    this.maxRounds = options.maxRounds ?? 5;
    this.backoff = { ...defaultBackoffPolicy, ...options.backoff };
    this.debounceMs = options.debounceMs ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 0;
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  /** Listens to progress and state events; returns the function that stops listening. */
  subscribe(listener: (event: SyncEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The continuous-mode state (`stopped` unless `start()` was called). */
  get state(): SyncState {
    return this.current;
  }

  async status(): Promise<SyncStatus> {
    return {
      state: this.current,
      cursor: await this.store.getCursor(),
      pending: await this.store.pendingCounts(this.tables),
      deadLetters: await this.store.listDeadLetters(),
      lastError: this.lastError,
    };
  }

  // ---------------------------------------------------------------- one-shot operations

  /** Sends every pending record (in batches, parents first); parks records the server refuses for good. */
  push(options: RunOptions = {}): Promise<PushReport> {
    return this.exclusive(() => this.pushAll(options.signal));
  }

  /** Downloads everything after the stored cursor (or everything, when the server forces a full resync). */
  pull(options: RunOptions = {}): Promise<PullReport> {
    return this.exclusive(() => this.pullAll(options.signal));
  }

  /** Pull → push → pull … until a push finds nothing to send, at most `maxRounds` rounds. */
  async sync(options: SyncOptions = {}): Promise<SyncReport> {
    const retries = options.retries ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exclusive(() => this.syncRounds(options.signal));
      } catch (error) {
        if (!isRetryable(error) || attempt > retries) throw error;
        const retryAfterMs = isSyncError(error) ? error.retryAfterMs : undefined;
        const delayMs = backoffDelay(attempt, this.random, this.backoff, retryAfterMs);
        if (isSyncError(error)) this.emit({ type: 'retryScheduled', attempt, delayMs, error });
        await this.clock.sleep(delayMs, options.signal);
      }
    }
  }

  /** Compares per-table summaries with the server after a sync; optionally re-downloads on mismatch. */
  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return this.exclusive(async () => {
      const signal = options.signal;
      await this.syncRounds(signal);
      let tables = await this.compare(signal);
      if (tables.some((t) => !t.match)) {
        // Another device may have pushed in between: catch up once and compare again.
        await this.pullAll(signal);
        tables = await this.compare(signal);
      }
      const deadLetters = (await this.store.listDeadLetters()).length;
      const ok = tables.every((t) => t.match);
      if (ok || !options.repair) return { ok, tables, deadLetters, repaired: false };
      await this.fullResync(signal, this.newPullReport(await this.store.getCursor()), 0);
      await this.pushAll(signal);
      const after = await this.compare(signal);
      return { ok: after.every((t) => t.match), tables, deadLetters, repaired: true, after };
    });
  }

  // ---------------------------------------------------------------- continuous mode

  /** Starts continuous sync: catch up now, then on local changes (debounced), hints and reconnects. */
  start(): void {
    this.input('start');
  }

  /** Stops continuous sync and waits for the running step to end. */
  async stop(): Promise<void> {
    this.input('stop');
    await this.inflight;
  }

  /** New local data: sync soon (after the debounce), or at once when waiting to retry. */
  notifyLocalChange(): void {
    this.input('localChange');
  }

  /** Connectivity is back: catch up at once. */
  notifyOnline(): void {
    this.input('online');
  }

  notifyOffline(): void {
    this.input('offline');
  }

  /** A hint (e.g. a Realtime event) that the server has new data. Never trusted as data. */
  notifyRemoteChange(): void {
    this.input('remoteChange');
  }

  private input(input: SyncInput): void {
    const next = nextSyncState(this.current, input);
    if (next === null) {
      if (input === 'localChange' || input === 'remoteChange') this.dirty = true;
      return;
    }
    const from = this.current;
    this.stepController?.abort(new SyncAbortedError('sync step cancelled by a state change'));
    this.stepController = undefined;
    this.stepToken += 1;
    this.current = next;
    this.emit({ type: 'state', from, to: next, input });
    this.enter(next, input);
  }

  private enter(state: SyncState, input: SyncInput): void {
    const token = this.stepToken;
    const controller = createAbortController();
    this.stepController = controller;
    const signal = controller.signal;
    const guard = (fn: () => void) => () => {
      if (token === this.stepToken) fn();
    };
    const fail = (error: unknown) => {
      if (token !== this.stepToken) return;
      if (isSyncAbortedError(error) && signal.aborted) return;
      this.lastError = error;
      if (isRetryable(error)) {
        this.input('transientError');
      } else {
        this.emit({ type: 'error', error });
        this.input('fatalError');
      }
    };
    const sleepThen = (ms: number, then: SyncInput) => {
      this.clock.sleep(ms, signal).then(
        guard(() => this.input(then)),
        () => undefined,
      );
    };
    switch (state) {
      case 'pulling': {
        if (input === 'pushedSome') this.round += 1;
        else this.round = 1;
        this.dirty = false;
        this.inflight = (async () => {
          const wait = this.notBefore - this.clock.now();
          if (wait > 0) await this.clock.sleep(wait, signal);
          await this.exclusive(() => this.pullAll(signal));
        })().then(
          guard(() => this.input('pulled')),
          fail,
        );
        return;
      }
      case 'pushing': {
        this.inflight = this.exclusive(() => this.pushAll(signal)).then(
          guard(() => {
            const moved = this.lastPush.accepted + this.lastPush.rejected + this.lastPush.deadLettered > 0;
            const more = moved || this.dirty;
            this.input(more && this.round < this.maxRounds ? 'pushedSome' : 'quiet');
          }),
          fail,
        );
        return;
      }
      case 'backingOff': {
        this.attempt += 1;
        const retryAfterMs = isSyncError(this.lastError) ? this.lastError.retryAfterMs : undefined;
        const delayMs = backoffDelay(this.attempt, this.random, this.backoff, retryAfterMs);
        if (retryAfterMs !== undefined) this.notBefore = this.clock.now() + retryAfterMs;
        if (isSyncError(this.lastError)) {
          this.emit({ type: 'retryScheduled', attempt: this.attempt, delayMs, error: this.lastError });
        }
        sleepThen(delayMs, 'backoffElapsed');
        return;
      }
      case 'debouncing':
        sleepThen(this.debounceMs, 'debounceElapsed');
        return;
      case 'idle':
        this.attempt = 0;
        this.lastError = undefined;
        if (this.dirty) {
          // New data arrived during the last round but the round limit stopped it.
          this.dirty = false;
          sleepThen(this.debounceMs, 'localChange');
        } else if (this.pollIntervalMs > 0) {
          sleepThen(this.pollIntervalMs, 'remoteChange');
        }
        return;
      case 'stopped':
      case 'offline':
      case 'failed':
        return;
    }
  }

  // ---------------------------------------------------------------- internals

  private lastPush: PushReport = emptyPush();

  private emit(event: SyncEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not break sync.
      }
    }
  }

  /** Runs one operation at a time against the store (one-shot calls and the scheduler share it). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async callRemote<T>(
    call: (signal: AbortSignalLike) => Promise<T>,
    signal?: AbortSignalLike,
  ): Promise<T> {
    throwIfAborted(signal);
    const link = linkedAbortController(signal);
    try {
      // Settle at once on cancellation even if the adapter ignores its signal; a write that still
      // commits later stays pending here and is replayed harmlessly (pushes are idempotent).
      return await new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(abortError(link.signal));
        link.signal.addEventListener('abort', onAbort, { once: true });
        call(link.signal)
          .then(resolve, reject)
          .finally(() => link.signal.removeEventListener('abort', onAbort));
      });
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      if (isSyncError(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new SyncNetworkError(`sync request failed: ${message}`, { cause: error });
    } finally {
      link.dispose();
    }
  }

  private async syncRounds(signal?: AbortSignalLike): Promise<SyncReport> {
    const pull = this.newPullReport(0);
    const push = emptyPush();
    let rounds = 0;
    let quiet = false;
    while (rounds < this.maxRounds) {
      rounds += 1;
      addPull(pull, await this.pullAll(signal));
      const pushed = await this.pushAll(signal);
      addPush(push, pushed);
      if (pushed.accepted + pushed.rejected + pushed.deadLettered === 0) {
        quiet = true;
        break;
      }
    }
    return { rounds, quiet, pull, push };
  }

  private newPullReport(cursor: number): PullReport {
    return { pages: 0, records: 0, bytes: 0, applied: 0, keptLocal: 0, cursor, fullResync: false };
  }

  private fetchPage(cursor: number, signal?: AbortSignalLike): Promise<PullPage> {
    return this.callRemote((s) => this.remote.pull({ cursor, limit: this.pullLimit }, { signal: s }), signal);
  }

  /**
   * Applies `first` and the pages after it until the server has no more, counting them in `report`; returns the
   * cursor reached. `storeCursor`: each page's cursor is stored with it (a full resync stores it at the end).
   */
  private async drainPages(
    first: PullPage,
    from: number,
    report: PullReport,
    storeCursor: boolean,
    signal?: AbortSignalLike,
  ): Promise<number> {
    let page = first;
    let cursor = from;
    let stalled = 0;
    for (;;) {
      checkPage(page, cursor);
      const next = page.nextCursor;
      const applied = await this.store.applyServerRecords(page.records, storeCursor ? next : undefined);
      this.countPage(report, page.records, applied.applied, applied.keptLocal, next);
      stalled = next > cursor || page.records.length > 0 ? 0 : stalled + 1;
      cursor = next;
      if (!page.hasMore) return cursor;
      if (stalled >= MAX_STALLED_PAGES) {
        throw new SyncProtocolError('the server keeps reporting more records without advancing the cursor');
      }
      throwIfAborted(signal);
      page = await this.fetchPage(cursor, signal);
    }
  }

  private async pullAll(signal?: AbortSignalLike): Promise<PullReport> {
    const cursor = await this.store.getCursor();
    const report = this.newPullReport(cursor);
    const page = await this.fetchPage(cursor, signal);
    if (await this.missedPurges(cursor, page.oldestRetainedSeq)) {
      return this.fullResync(signal, report, page.oldestRetainedSeq);
    }
    await this.drainPages(page, cursor, report, true, signal);
    return report;
  }

  /**
   * True when tombstones this store may hold live copies of were purged: the cursor is below the purge
   * watermark and the store holds acknowledged records. Cursor 0 with acknowledged records happens to a
   * machine that pushed but never pulled; an empty store just pulls (keeping the download resumable).
   */
  private async missedPurges(cursor: number, watermark: number): Promise<boolean> {
    if (cursor >= watermark) return false;
    if (cursor > 0) return true;
    const held = (await this.store.summarize(this.tables)).reduce((sum, s) => sum + s.count + s.deleted, 0);
    if (held === 0) return false;
    const pending = Object.values(await this.store.pendingCounts(this.tables)).reduce((sum, n) => sum + n, 0);
    const parked = (await this.store.listDeadLetters()).length;
    return held - pending - parked > 0;
  }

  /**
   * Downloads everything from cursor 0 without storing a cursor, drops what the server no longer has,
   * then stores the cursor. Interrupted, it leaves the old (too old) cursor, so it is detected again.
   */
  private async fullResync(
    signal: AbortSignalLike | undefined,
    report: PullReport,
    oldestRetainedSeq: number,
  ) {
    report.fullResync = true;
    this.emit({ type: 'fullResync', phase: 'start', cursor: report.cursor, oldestRetainedSeq });
    await this.store.beginFullResync();
    throwIfAborted(signal);
    const first = await this.fetchPage(0, signal);
    const cursor = await this.drainPages(first, 0, report, false, signal);
    await this.store.finishFullResync();
    await this.store.applyServerRecords([], cursor);
    report.cursor = cursor;
    this.emit({ type: 'fullResync', phase: 'finish', cursor, oldestRetainedSeq });
    return report;
  }

  private countPage(
    report: PullReport,
    records: ServerRecord[],
    applied: number,
    keptLocal: number,
    cursor: number,
  ) {
    let bytes = 0;
    for (const record of records) bytes += recordByteSize(record);
    report.pages += 1;
    report.records += records.length;
    report.bytes += bytes;
    report.applied += applied;
    report.keptLocal += keptLocal;
    report.cursor = cursor;
    this.emit({
      type: 'pullProgress',
      records: records.length,
      bytes,
      cursor,
      pulledRecords: report.records,
      pulledBytes: report.bytes,
    });
  }

  private async pushAll(signal?: AbortSignalLike): Promise<PushReport> {
    const report = emptyPush();
    this.lastPush = report;
    const deviceId = await this.store.deviceId();
    const run: PushRun = {
      deviceId,
      report,
      decided: new Set<string>(),
      inFlight: new Set<string>(),
      inFlightBytes: 0,
      ownSeqs: new Set<number>(),
      storeTurn: Promise.resolve(),
      stop: false,
      failure: undefined,
    };
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
          if (!(await this.pushBatch(run, batch.records, signal, batch.bytes))) run.stop = true;
        } catch (error) {
          run.failure ??= { error };
        } finally {
          for (const record of batch.records) run.inFlight.delete(recordKey(record));
          run.inFlightBytes -= batch.bytes;
        }
      }
    };
    await Promise.all(Array.from({ length: this.pushConcurrency }, lane));
    await run.storeTurn;
    if (run.failure !== undefined) throw run.failure.error;
    return report;
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
    const pending = await this.store.pendingChanges({
      tables: this.tables,
      limit: this.batchSize + run.inFlight.size,
      maxBytes: this.batchBytes + run.inFlightBytes,
    });
    const records: SyncRecord[] = [];
    let bytes = 0;
    for (const record of pending) {
      const key = recordKey(record);
      if (run.inFlight.has(key) || run.decided.has(`${key}@${record.version}`)) continue;
      if (records.length >= this.batchSize) break;
      const size = recordByteSize(record);
      if (records.length > 0 && bytes + size > this.batchBytes) break;
      records.push(record);
      bytes += size;
    }
    if (records.length === 0) {
      // Records decided in this run and still pending: the store did not record their outcome. Stop
      // instead of sending them forever.
      if (run.inFlight.size === 0) run.report.unresolved += pending.length;
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
    signal?: AbortSignalLike,
    /** The batch's JSON size when the caller measured it already. */
    knownBytes?: number,
  ): Promise<boolean> {
    const deviceId = run.deviceId;
    let result: PushResult;
    try {
      result = await this.callRemote((s) => this.remote.push({ deviceId, records }, { signal: s }), signal);
    } catch (error) {
      if (!isRecordLevelSyncError(error)) throw error;
      if (records.length === 1) {
        await this.inStoreTurn(run, () => this.park(records[0] as SyncRecord, error, run.report));
        return true;
      }
      const middle = Math.ceil(records.length / 2);
      const first = await this.pushBatch(run, records.slice(0, middle), signal);
      const second = await this.pushBatch(run, records.slice(middle), signal);
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
      if (accepted.length > 0) await this.store.markPushed(accepted);
      if (winners.length > 0) await this.store.applyServerRecords(winners);
      await this.advancePastOwnWrites(run, accepted);
    });

    const report = run.report;
    let bytes = knownBytes ?? 0;
    if (knownBytes === undefined) for (const record of records) bytes += recordByteSize(record);
    report.batches += 1;
    report.records += records.length;
    report.bytes += bytes;
    report.accepted += accepted.length;
    report.rejected += winners.length;
    report.unresolved += records.length - resolved.size;
    this.emit({
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
   * Read-your-writes: the seqs the server assigned to this device's accepted writes in this push are known
   * to hold nothing else, so the cursor moves over every one of them that directly follows it
   * (`cursor+1, cursor+2, …`) and they are not downloaded again. A seq missing from the run (another device's
   * write, or a batch still in flight) stops the advance there; the next pull brings it.
   */
  private async advancePastOwnWrites(run: PushRun, accepted: AcceptedRecord[]): Promise<void> {
    if (accepted.length === 0) return;
    for (const entry of accepted) run.ownSeqs.add(entry.changeSeq);
    const cursor = await this.store.getCursor();
    let next = cursor;
    while (run.ownSeqs.has(next + 1)) {
      next += 1;
      run.ownSeqs.delete(next);
    }
    if (next > cursor) await this.store.applyServerRecords([], next);
  }

  private async park(record: SyncRecord, error: SyncError, report: PushReport): Promise<void> {
    const letter: DeadLetter = {
      table: record.table,
      id: record.id,
      version: record.version,
      code: error.serverCode ?? error.code,
      message: error.message,
      at: new Date(this.clock.now()).toISOString(),
    };
    await this.store.deadLetter([letter]);
    report.deadLettered += 1;
    this.emit({ type: 'deadLettered', letters: [letter] });
  }

  private async compare(signal?: AbortSignalLike): Promise<TableComparison[]> {
    const local = await this.store.summarize(this.tables);
    const remote = await this.callRemote(
      (s) => this.remote.summarize([...this.tables], { signal: s }),
      signal,
    );
    const remoteByTable = new Map(remote.map((summary) => [summary.table, summary]));
    return local.map((localSummary) => {
      const remoteSummary = remoteByTable.get(localSummary.table) ?? {
        table: localSummary.table,
        count: 0,
        deleted: 0,
        checksum: 0,
      };
      return {
        table: localSummary.table,
        local: localSummary,
        remote: remoteSummary,
        match: localSummary.count === remoteSummary.count && localSummary.checksum === remoteSummary.checksum,
      };
    });
  }
}

/**
 * A page must answer the request it was sent for: every record after the requested cursor, ascending,
 * and `nextCursor` at the last record (or at the requested cursor when empty). Anything else is a
 * stale or misrouted response; applying it could end a full resync early, so it is retried instead.
 */
function checkPage(page: PullPage, requested: number): void {
  if (
    !Array.isArray(page.records) ||
    typeof page.nextCursor !== 'number' ||
    typeof page.hasMore !== 'boolean'
  ) {
    throw new SyncProtocolError('malformed pull page');
  }
  let previous = requested;
  for (const record of page.records) {
    if (!(record.changeSeq > previous)) {
      throw new SyncNetworkError(`pull response does not answer the request for cursor ${requested}`);
    }
    previous = record.changeSeq;
  }
  if (page.nextCursor !== previous) {
    throw new SyncNetworkError(`pull response does not answer the request for cursor ${requested}`);
  }
}

function addPull(total: PullReport, part: PullReport): void {
  total.pages += part.pages;
  total.records += part.records;
  total.bytes += part.bytes;
  total.applied += part.applied;
  total.keptLocal += part.keptLocal;
  total.cursor = part.cursor;
  total.fullResync ||= part.fullResync;
}

function addPush(total: PushReport, part: PushReport): void {
  total.batches += part.batches;
  total.records += part.records;
  total.bytes += part.bytes;
  total.accepted += part.accepted;
  total.rejected += part.rejected;
  total.deadLettered += part.deadLettered;
  total.unresolved += part.unresolved;
}
