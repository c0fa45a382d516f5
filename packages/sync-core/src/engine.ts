/**
 * The sync engine: push (the outbox), pull (cursor catch-up, forced full resync), sync (rounds of both),
 * verify, and a continuous scheduler driven by the state machine of `state-machine.ts`. This file composes
 * them: the push pipeline is in `push.ts`, the page loop in `pull.ts`, continuous mode in `scheduler.ts`,
 * the retry loop in `retry.ts`; the engine runs one operation at a time against the store.
 */

import { type BackoffPolicy, defaultBackoffPolicy } from './backoff.js';
import { callRemote } from './call.js';
import { systemClock, systemRandom } from './clock.js';
import { isSyncError } from './errors.js';
import {
  addPull,
  addPush,
  emptyPullReport,
  emptyPushReport,
  type PullReport,
  type PushReport,
  type SyncEvent,
} from './events.js';
import type {
  AbortSignalLike,
  Clock,
  DeadLetter,
  LocalStore,
  Random,
  Remote,
  TableSummary,
} from './ports.js';
import { PullLoop } from './pull.js';
import { PushPipeline } from './push.js';
import { retrying } from './retry.js';
import { Scheduler } from './scheduler.js';
import type { SyncState } from './state-machine.js';

export type { PullReport, PushReport, SyncEvent } from './events.js';

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

export class SyncEngine {
  private readonly store: LocalStore;
  private readonly remote: Remote;
  private readonly tables: readonly string[];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly maxRounds: number;
  private readonly backoff: BackoffPolicy;
  private readonly listeners = new Set<(event: SyncEvent) => void>();
  private readonly pusher: PushPipeline;
  private readonly puller: PullLoop;
  private readonly scheduler: Scheduler;

  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SyncEngineOptions) {
    if (options.tables.length === 0) throw new RangeError('SyncEngine needs at least one table');
    this.store = options.store;
    this.remote = options.remote;
    this.tables = [...options.tables];
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.maxRounds = options.maxRounds ?? 5;
    this.backoff = { ...defaultBackoffPolicy, ...options.backoff };
    const emit = (event: SyncEvent) => this.emit(event);
    this.pusher = new PushPipeline({
      store: this.store,
      remote: this.remote,
      tables: this.tables,
      clock: this.clock,
      batchSize: options.batchSize ?? 500,
      batchBytes: options.batchBytes ?? 1024 * 1024,
      concurrency: options.pushConcurrency ?? 2,
      emit,
    });
    this.puller = new PullLoop({
      store: this.store,
      remote: this.remote,
      tables: this.tables,
      limit: options.pullLimit ?? 1000,
      emit,
    });
    this.scheduler = new Scheduler({
      clock: this.clock,
      random: this.random,
      backoff: this.backoff,
      debounceMs: options.debounceMs ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? 0,
      maxRounds: this.maxRounds,
      pull: (signal) => this.exclusive(() => this.puller.run(signal)),
      push: (signal) => this.exclusive(() => this.pusher.run(signal)),
      emit,
    });
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  /** Listens to progress and state events; returns the function that stops listening. */
  subscribe(listener: (event: SyncEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The continuous-mode state (`stopped` unless `start()` was called). */
  get state(): SyncState {
    return this.scheduler.state;
  }

  async status(): Promise<SyncStatus> {
    return {
      state: this.scheduler.state,
      cursor: await this.store.getCursor(),
      pending: await this.store.pendingCounts(this.tables),
      deadLetters: await this.store.listDeadLetters(),
      lastError: this.scheduler.lastError,
    };
  }

  // ---------------------------------------------------------------- one-shot operations

  /** Sends every pending record (in batches, parents first); parks records the server refuses for good. */
  push(options: RunOptions = {}): Promise<PushReport> {
    return this.exclusive(() => this.pusher.run(options.signal));
  }

  /** Downloads everything after the stored cursor (or everything, when the server forces a full resync). */
  pull(options: RunOptions = {}): Promise<PullReport> {
    return this.exclusive(() => this.puller.run(options.signal));
  }

  /** Pull → push → pull … until a push finds nothing to send, at most `maxRounds` rounds. */
  sync(options: SyncOptions = {}): Promise<SyncReport> {
    return retrying(() => this.exclusive(() => this.syncRounds(options.signal)), {
      policy: { ...this.backoff, retries: options.retries ?? 0 },
      random: this.random,
      sleep: (ms, signal) => this.clock.sleep(ms, signal),
      signal: options.signal,
      onWait: ({ attempt, delayMs, error }) => {
        if (isSyncError(error)) this.emit({ type: 'retryScheduled', attempt, delayMs, error });
      },
    });
  }

  /** Compares per-table summaries with the server after a sync; optionally re-downloads on mismatch. */
  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return this.exclusive(async () => {
      const signal = options.signal;
      await this.syncRounds(signal);
      let tables = await this.compare(signal);
      if (tables.some((t) => !t.match)) {
        // Another device may have pushed in between: catch up once and compare again.
        await this.puller.run(signal);
        tables = await this.compare(signal);
      }
      const deadLetters = (await this.store.listDeadLetters()).length;
      const ok = tables.every((t) => t.match);
      if (ok || !options.repair) return { ok, tables, deadLetters, repaired: false };
      await this.puller.fullResync(signal, emptyPullReport(await this.store.getCursor()), 0);
      await this.pusher.run(signal);
      const after = await this.compare(signal);
      return { ok: after.every((t) => t.match), tables, deadLetters, repaired: true, after };
    });
  }

  // ---------------------------------------------------------------- continuous mode

  /** Starts continuous sync: catch up now, then on local changes (debounced), hints and reconnects. */
  start(): void {
    this.scheduler.input('start');
  }

  /** Stops continuous sync and waits for the running step to end. */
  async stop(): Promise<void> {
    this.scheduler.input('stop');
    await this.scheduler.running;
  }

  /** New local data: sync soon (after the debounce), or at once when waiting to retry. */
  notifyLocalChange(): void {
    this.scheduler.input('localChange');
  }

  /** Connectivity is back: catch up at once. */
  notifyOnline(): void {
    this.scheduler.input('online');
  }

  notifyOffline(): void {
    this.scheduler.input('offline');
  }

  /** A hint (e.g. a Realtime event) that the server has new data. Never trusted as data. */
  notifyRemoteChange(): void {
    this.scheduler.input('remoteChange');
  }

  // ---------------------------------------------------------------- internals

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

  private async syncRounds(signal?: AbortSignalLike): Promise<SyncReport> {
    const pull = emptyPullReport(0);
    const push = emptyPushReport();
    let rounds = 0;
    let quiet = false;
    while (rounds < this.maxRounds) {
      rounds += 1;
      addPull(pull, await this.puller.run(signal));
      const pushed = await this.pusher.run(signal);
      addPush(push, pushed);
      if (pushed.accepted + pushed.rejected + pushed.deadLettered === 0) {
        quiet = true;
        break;
      }
    }
    return { rounds, quiet, pull, push };
  }

  private async compare(signal?: AbortSignalLike): Promise<TableComparison[]> {
    const local = await this.store.summarize(this.tables);
    const remote = await callRemote((s) => this.remote.summarize([...this.tables], { signal: s }), signal);
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
