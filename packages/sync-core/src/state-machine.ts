/**
 * The continuous-sync state machine, written as a table so the compiler demands a cell for every
 * state × input. `null` means "the input does not change the state" (it may still be noted, e.g. new
 * local data during a push schedules one more round).
 */

export const syncStates = [
  'stopped',
  'idle',
  'debouncing',
  'pulling',
  'pushing',
  'backingOff',
  'offline',
  'failed',
] as const;
export type SyncState = (typeof syncStates)[number];

export const syncInputs = [
  /** `start()` was called (or called again after a failure). */
  'start',
  /** `stop()` was called. */
  'stop',
  /** The host wrote local data (`notifyLocalChange()`). */
  'localChange',
  /** A hint that the server has new data (a Realtime event, a poll timer). Never the data path. */
  'remoteChange',
  /** Connectivity came back (`notifyOnline()`). */
  'online',
  /** Connectivity is gone (`notifyOffline()`). */
  'offline',
  /** The 500 ms debounce after local changes ran out. */
  'debounceElapsed',
  /** A pull finished (the server has nothing newer than the cursor). */
  'pulled',
  /** A push finished and sent records (or new data arrived meanwhile): pull again. */
  'pushedSome',
  /** A push found nothing to send, or the round limit was reached. */
  'quiet',
  /** A transient error (network, timeout, 5xx, 429). */
  'transientError',
  /** A session-level permanent error (sign-in needed, schema missing, protocol broken). */
  'fatalError',
  /** The backoff delay ran out. */
  'backoffElapsed',
] as const;
export type SyncInput = (typeof syncInputs)[number];

export type TransitionTable = { readonly [S in SyncState]: { readonly [I in SyncInput]: SyncState | null } };

export const syncTransitions: TransitionTable = {
  stopped: {
    start: 'pulling',
    stop: null,
    localChange: null,
    remoteChange: null,
    online: null,
    offline: null,
    debounceElapsed: null,
    pulled: null,
    pushedSome: null,
    quiet: null,
    transientError: null,
    fatalError: null,
    backoffElapsed: null,
  },
  idle: {
    start: null,
    stop: 'stopped',
    localChange: 'debouncing',
    remoteChange: 'pulling',
    online: 'pulling',
    offline: 'offline',
    debounceElapsed: null,
    pulled: null,
    pushedSome: null,
    quiet: null,
    transientError: null,
    fatalError: null,
    backoffElapsed: null,
  },
  debouncing: {
    start: null,
    stop: 'stopped',
    localChange: 'debouncing',
    remoteChange: null,
    online: null,
    offline: 'offline',
    debounceElapsed: 'pulling',
    pulled: null,
    pushedSome: null,
    quiet: null,
    transientError: null,
    fatalError: null,
    backoffElapsed: null,
  },
  pulling: {
    start: null,
    stop: 'stopped',
    localChange: null,
    remoteChange: null,
    online: null,
    offline: 'offline',
    debounceElapsed: null,
    pulled: 'pushing',
    pushedSome: null,
    quiet: null,
    transientError: 'backingOff',
    fatalError: 'failed',
    backoffElapsed: null,
  },
  pushing: {
    start: null,
    stop: 'stopped',
    localChange: null,
    remoteChange: null,
    online: null,
    offline: 'offline',
    debounceElapsed: null,
    pulled: null,
    pushedSome: 'pulling',
    quiet: 'idle',
    transientError: 'backingOff',
    fatalError: 'failed',
    backoffElapsed: null,
  },
  backingOff: {
    start: null,
    stop: 'stopped',
    localChange: 'pulling',
    remoteChange: null,
    online: 'pulling',
    offline: 'offline',
    debounceElapsed: null,
    pulled: null,
    pushedSome: null,
    quiet: null,
    transientError: null,
    fatalError: null,
    backoffElapsed: 'pulling',
  },
  offline: {
    start: null,
    stop: 'stopped',
    localChange: null,
    remoteChange: 'pulling',
    online: 'pulling',
    offline: null,
    debounceElapsed: null,
    pulled: null,
    pushedSome: null,
    quiet: null,
    transientError: null,
    fatalError: null,
    backoffElapsed: null,
  },
  failed: {
    start: 'pulling',
    stop: 'stopped',
    localChange: null,
    remoteChange: null,
    online: null,
    offline: null,
    debounceElapsed: null,
    pulled: null,
    pushedSome: null,
    quiet: null,
    transientError: null,
    fatalError: null,
    backoffElapsed: null,
  },
};

/** The state after `input` in `state`, or null when the input does not change it. */
export function nextSyncState(state: SyncState, input: SyncInput): SyncState | null {
  return syncTransitions[state][input];
}
