/**
 * Continuous mode: drives the transition table of `state-machine.ts` with real work and timers. Each state
 * entered starts its step (a pull, a push, the debounce, a backoff wait, the idle poll) under a signal that
 * the next transition aborts; a step's outcome is the next input. The work itself comes from the host (the
 * engine's pull and push, serialized with its one-shot calls).
 */
import { type AbortControllerLike, createAbortController } from './abort.js';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { isSyncAbortedError, isSyncError, SyncAbortedError } from './errors.js';
import type { PushReport, SyncEvent } from './events.js';
import type { AbortSignalLike, Clock, Random } from './ports.js';
import { isRetryable } from './retry.js';
import { nextSyncState, type SyncInput, type SyncState } from './state-machine.js';

export interface SchedulerOptions {
  clock: Clock;
  random: Random;
  backoff: BackoffPolicy;
  /** Wait this long after the last local change before syncing. */
  debounceMs: number;
  /** Pull this often when idle (0 = only on hints). */
  pollIntervalMs: number;
  /** Most pull → push rounds before going idle. */
  maxRounds: number;
  /** One pull (cursor catch-up). */
  pull: (signal: AbortSignalLike) => Promise<unknown>;
  /** One push of everything pending. */
  push: (signal: AbortSignalLike) => Promise<PushReport>;
  emit: (event: SyncEvent) => void;
}

export class Scheduler {
  private readonly options: SchedulerOptions;
  private current: SyncState = 'stopped';
  private stepController: AbortControllerLike | undefined;
  private stepToken = 0;
  private inflight: Promise<void> = Promise.resolve();
  private dirty = false;
  private round = 0;
  private attempt = 0;
  private notBefore = 0;
  private failure: unknown;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  get state(): SyncState {
    return this.current;
  }

  /** The error that led to the last `backingOff` or `failed` state (cleared in `idle`). */
  get lastError(): unknown {
    return this.failure;
  }

  /** The running step (resolved when none). */
  get running(): Promise<void> {
    return this.inflight;
  }

  input(input: SyncInput): void {
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
    this.options.emit({ type: 'state', from, to: next, input });
    this.enter(next, input);
  }

  private enter(state: SyncState, input: SyncInput): void {
    const { clock, emit } = this.options;
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
      this.failure = error;
      if (isRetryable(error)) {
        this.input('transientError');
      } else {
        emit({ type: 'error', error });
        this.input('fatalError');
      }
    };
    const sleepThen = (ms: number, then: SyncInput) => {
      clock.sleep(ms, signal).then(
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
          const wait = this.notBefore - clock.now();
          if (wait > 0) await clock.sleep(wait, signal);
          await this.options.pull(signal);
        })().then(
          guard(() => this.input('pulled')),
          fail,
        );
        return;
      }
      case 'pushing': {
        this.inflight = this.options.push(signal).then(
          (pushed) =>
            guard(() => {
              const moved = pushed.accepted + pushed.rejected + pushed.deadLettered > 0;
              const more = moved || this.dirty;
              this.input(more && this.round < this.options.maxRounds ? 'pushedSome' : 'quiet');
            })(),
          fail,
        );
        return;
      }
      case 'backingOff': {
        this.attempt += 1;
        const retryAfterMs = isSyncError(this.failure) ? this.failure.retryAfterMs : undefined;
        const delayMs = backoffDelay(this.attempt, this.options.random, this.options.backoff, retryAfterMs);
        if (retryAfterMs !== undefined) this.notBefore = clock.now() + retryAfterMs;
        if (isSyncError(this.failure)) {
          emit({ type: 'retryScheduled', attempt: this.attempt, delayMs, error: this.failure });
        }
        sleepThen(delayMs, 'backoffElapsed');
        return;
      }
      case 'debouncing':
        sleepThen(this.options.debounceMs, 'debounceElapsed');
        return;
      case 'idle':
        this.attempt = 0;
        this.failure = undefined;
        if (this.dirty) {
          // New data arrived during the last round but the round limit stopped it.
          this.dirty = false;
          sleepThen(this.options.debounceMs, 'localChange');
        } else if (this.options.pollIntervalMs > 0) {
          sleepThen(this.options.pollIntervalMs, 'remoteChange');
        }
        return;
      case 'stopped':
      case 'offline':
      case 'failed':
        return;
    }
  }
}
