import { afterAll, describe, expect, it } from 'vitest';
import {
  AuthRequiredError,
  nextSyncState,
  ServerUnavailableError,
  SyncEngine,
  type SyncInput,
  type SyncState,
  syncInputs,
  syncStates,
  syncTransitions,
} from '../src/index.js';
import { ManualClock, MemoryLocalStore, MemoryServer } from '../src/testing/index.js';
import { flush, GatedRemote } from './support.js';

/**
 * The expected machine, written independently of the implementation as the list of transitions that
 * change the state. Every other cell must be null (the input is ignored in that state).
 */
const expected: [SyncState, SyncInput, SyncState][] = [
  ['stopped', 'start', 'pulling'],
  ['idle', 'stop', 'stopped'],
  ['idle', 'localChange', 'debouncing'],
  ['idle', 'remoteChange', 'pulling'],
  ['idle', 'online', 'pulling'],
  ['idle', 'offline', 'offline'],
  ['debouncing', 'stop', 'stopped'],
  ['debouncing', 'localChange', 'debouncing'],
  ['debouncing', 'offline', 'offline'],
  ['debouncing', 'debounceElapsed', 'pulling'],
  ['pulling', 'stop', 'stopped'],
  ['pulling', 'offline', 'offline'],
  ['pulling', 'pulled', 'pushing'],
  ['pulling', 'transientError', 'backingOff'],
  ['pulling', 'fatalError', 'failed'],
  ['pushing', 'stop', 'stopped'],
  ['pushing', 'offline', 'offline'],
  ['pushing', 'pushedSome', 'pulling'],
  ['pushing', 'quiet', 'idle'],
  ['pushing', 'transientError', 'backingOff'],
  ['pushing', 'fatalError', 'failed'],
  ['backingOff', 'stop', 'stopped'],
  ['backingOff', 'localChange', 'pulling'],
  ['backingOff', 'online', 'pulling'],
  ['backingOff', 'offline', 'offline'],
  ['backingOff', 'backoffElapsed', 'pulling'],
  ['offline', 'stop', 'stopped'],
  ['offline', 'remoteChange', 'pulling'],
  ['offline', 'online', 'pulling'],
  ['failed', 'start', 'pulling'],
  ['failed', 'stop', 'stopped'],
];

const TABLES = ['sessions', 'turns'];
const observed = new Set<string>();
const cell = (from: string, input: string, to: string) => `${from} --${input}--> ${to}`;

function setup(options: { pending?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const server = new MemoryServer({ tables: TABLES, clock });
  const store = new MemoryLocalStore({ deviceId: 'device-a', clock });
  const remote = new GatedRemote(server.connect('user-1'), () => clock.now());
  for (let i = 0; i < (options.pending ?? 0); i++) store.write('turns', `t${i}`, { n: i });
  const engine = new SyncEngine({
    store,
    remote,
    tables: TABLES,
    clock,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 8000 },
  });
  engine.subscribe((event) => {
    if (event.type === 'state') observed.add(cell(event.from, event.input, event.to));
  });
  return { clock, server, store, remote, engine };
}

type Rig = ReturnType<typeof setup>;

/** Brings a fresh engine into `state` through real calls, timers and failures. */
async function reach(
  state: SyncState,
  pending = state === 'pushing' || state === 'pulling' ? 2 : 0,
): Promise<Rig> {
  const rig = setup({ pending });
  const { engine, remote } = rig;
  const go = async () => {
    engine.start();
    await flush();
  };
  switch (state) {
    case 'stopped':
      break;
    case 'pulling':
      await go();
      break;
    case 'pushing':
      await go();
      await remote.release(); // the pull
      break;
    case 'idle':
      await go();
      await remote.releaseAll();
      break;
    case 'debouncing':
      await go();
      await remote.releaseAll();
      rig.store.write('turns', 'new', { n: 1 });
      engine.notifyLocalChange();
      break;
    case 'backingOff':
      await go();
      await remote.fail(new ServerUnavailableError('503', { status: 503 }));
      break;
    case 'offline':
      await go();
      await remote.releaseAll();
      engine.notifyOffline();
      break;
    case 'failed':
      await go();
      await remote.fail(new AuthRequiredError('sign in again', { status: 401 }));
      break;
  }
  await flush();
  expect(engine.state).toBe(state);
  return rig;
}

/** Fires an input the way it happens for real: a call of the host, a timer, or a server answer. */
async function fire(rig: Rig, input: SyncInput): Promise<void> {
  const { engine, remote, clock } = rig;
  switch (input) {
    case 'start':
      engine.start();
      break;
    case 'stop':
      await Promise.race([engine.stop(), flush()]);
      break;
    case 'localChange':
      rig.store.write('turns', `local-${clock.now()}`, { n: 2 });
      engine.notifyLocalChange();
      break;
    case 'remoteChange':
      engine.notifyRemoteChange();
      break;
    case 'online':
      engine.notifyOnline();
      break;
    case 'offline':
      engine.notifyOffline();
      break;
    case 'debounceElapsed':
      await clock.advance(500);
      break;
    case 'backoffElapsed':
      await clock.advance(10_000);
      break;
    case 'pulled':
    case 'pushedSome':
    case 'quiet':
      await remote.release();
      break;
    case 'transientError':
      await remote.fail(new ServerUnavailableError('503', { status: 503 }));
      break;
    case 'fatalError':
      await remote.fail(new AuthRequiredError('sign in again', { status: 401 }));
      break;
  }
  await flush();
}

/** Inputs the host can send in any state (the others only arise inside a state: timers and answers). */
const hostInputs: SyncInput[] = ['start', 'stop', 'localChange', 'remoteChange', 'online', 'offline'];

/** States in which an internal input can arise, with what makes it arise. */
const internalCells: [SyncState, SyncInput][] = [
  ['debouncing', 'debounceElapsed'],
  ['pulling', 'pulled'],
  ['pulling', 'transientError'],
  ['pulling', 'fatalError'],
  ['pushing', 'pushedSome'],
  ['pushing', 'transientError'],
  ['pushing', 'fatalError'],
  ['backingOff', 'backoffElapsed'],
];

describe('sync state machine', () => {
  it('the transition table has exactly the expected cells, state × input', () => {
    const want = new Map(expected.map(([s, i, to]) => [`${s}/${i}`, to]));
    let cells = 0;
    for (const state of syncStates) {
      for (const input of syncInputs) {
        cells += 1;
        expect(Object.keys(syncTransitions[state]).sort()).toEqual([...syncInputs].sort());
        expect(nextSyncState(state, input), `${state} × ${input}`).toBe(
          want.get(`${state}/${input}`) ?? null,
        );
      }
    }
    expect(cells).toBe(syncStates.length * syncInputs.length);
  });

  for (const state of syncStates) {
    for (const input of hostInputs) {
      const target = nextSyncState(state, input) ?? state;
      it(`engine in ${state}, host sends ${input} → ${target}`, async () => {
        const rig = await reach(state);
        await fire(rig, input);
        expect(rig.engine.state).toBe(target);
        await rig.engine.stop();
      });
    }
  }

  for (const [state, input] of internalCells) {
    it(`engine in ${state}, ${input} arises → ${nextSyncState(state, input)}`, async () => {
      const rig = await reach(state);
      await fire(rig, input);
      expect(rig.engine.state).toBe(nextSyncState(state, input));
      await rig.engine.stop();
    });
  }

  it('engine in pushing, a push with nothing sent → quiet → idle', async () => {
    const rig = await reach('pulling', 0);
    await rig.remote.release(); // pull → pushing with nothing pending → quiet
    expect(rig.engine.state).toBe('idle');
    await rig.engine.stop();
  });

  it('timers of a state that was left never fire later', async () => {
    const rig = await reach('backingOff');
    rig.engine.notifyOffline();
    await rig.clock.advance(60_000);
    await flush();
    expect(rig.engine.state).toBe('offline');
    expect(rig.remote.held).toHaveLength(0);
    const debouncing = await reach('debouncing');
    await debouncing.engine.stop();
    await debouncing.clock.advance(1000);
    expect(debouncing.engine.state).toBe('stopped');
    expect(debouncing.remote.calls.filter((c) => c.kind === 'pull')).toHaveLength(1);
  });

  afterAll(() => {
    // Every transition that changes the state was taken by a real engine at least once.
    const missing = expected.map(([s, i, to]) => cell(s, i, to)).filter((c) => !observed.has(c));
    expect(missing).toEqual([]);
  });
});
