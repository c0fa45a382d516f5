import { describe, expect, it } from 'vitest';
import {
  AuthRequiredError,
  type CallOptions,
  type PullPage,
  type PullRequest,
  type PushBatch,
  type PushResult,
  type Remote,
  ServerUnavailableError,
  SyncEngine,
  type SyncEvent,
  type TableSummary,
} from '../src/index.js';
import { ManualClock, MemoryLocalStore, type MemoryRemote, MemoryServer } from '../src/testing/index.js';
import { flush } from './support.js';

const TABLES = ['sessions', 'turns'];

class ClockedRemote implements Remote {
  readonly calls: { kind: 'push' | 'pull'; at: number; records?: number }[] = [];
  /** While set, every call fails with it. */
  down: unknown = undefined;
  constructor(
    private readonly inner: MemoryRemote,
    private readonly clock: ManualClock,
  ) {}
  async push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    this.calls.push({ kind: 'push', at: this.clock.now(), records: batch.records.length });
    if (this.down) throw this.down;
    return this.inner.push(batch, options);
  }
  async pull(request: PullRequest, options?: CallOptions): Promise<PullPage> {
    this.calls.push({ kind: 'pull', at: this.clock.now() });
    if (this.down) throw this.down;
    return this.inner.pull(request, options);
  }
  async summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]> {
    return this.inner.summarize(tables, options);
  }
}

function rig(options: { pollIntervalMs?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const server = new MemoryServer({ tables: TABLES, clock });
  const store = new MemoryLocalStore({ deviceId: 'device-a', clock });
  const remote = new ClockedRemote(server.connect('user-1'), clock);
  const events: SyncEvent[] = [];
  const engine = new SyncEngine({
    store,
    remote,
    tables: TABLES,
    clock,
    random: () => 0.5,
    onEvent: (e) => events.push(e),
    ...options,
  });
  const t0 = clock.now();
  const since = () => clock.now() - t0;
  return { clock, server, store, remote, engine, events, t0, since };
}

describe('continuous sync', () => {
  it('catches up on start, then debounces local changes by 500 ms into one push', async () => {
    const r = rig();
    r.engine.start();
    await flush();
    expect(r.engine.state).toBe('idle');
    expect(r.remote.calls.map((c) => c.kind)).toEqual(['pull']);
    for (let i = 0; i < 3; i++) {
      r.store.write('turns', `t${i}`, { n: i });
      r.engine.notifyLocalChange();
      await r.clock.advance(200);
    }
    expect(r.engine.state).toBe('debouncing');
    expect(r.remote.calls.filter((c) => c.kind === 'push')).toHaveLength(0);
    await r.clock.advance(299);
    expect(r.remote.calls.filter((c) => c.kind === 'push')).toHaveLength(0);
    await r.clock.advance(1);
    await flush();
    const pushes = r.remote.calls.filter((c) => c.kind === 'push');
    // The last change was at 400 ms: the push goes 500 ms later.
    expect(pushes).toEqual([{ kind: 'push', at: r.t0 + 900, records: 3 }]);
    expect(r.engine.state).toBe('idle');
    expect(r.server.snapshot('user-1')).toHaveLength(3);
    await r.engine.stop();
  });

  it('backs off 15 s → 30 s → 60 s … capped at 5 min while the server is down, then recovers', async () => {
    const r = rig();
    r.remote.down = new ServerUnavailableError('503', { status: 503 });
    r.engine.start();
    await flush();
    for (let i = 0; i < 8; i++) {
      await r.clock.advance(r.clock.nextWakeUp === undefined ? 0 : r.clock.nextWakeUp - r.clock.now());
      await flush();
    }
    const delays = r.events.flatMap((e) => (e.type === 'retryScheduled' ? [e.delayMs] : []));
    expect(delays.slice(0, 8)).toEqual([15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
    const pullTimes = r.remote.calls.map((c) => c.at - r.t0);
    expect(pullTimes.slice(0, 4)).toEqual([0, 15_000, 45_000, 105_000]);
    r.remote.down = undefined;
    await r.clock.advance((r.clock.nextWakeUp ?? 0) - r.clock.now());
    await flush();
    expect(r.engine.state).toBe('idle');
    await r.engine.stop();
  });

  it('retries at once on new local data or on reconnect instead of waiting out the backoff', async () => {
    const r = rig();
    r.remote.down = new ServerUnavailableError('503', { status: 503 });
    r.engine.start();
    await flush();
    expect(r.engine.state).toBe('backingOff');
    r.remote.down = undefined;
    await r.clock.advance(1000);
    r.store.write('turns', 't1', { n: 1 });
    r.engine.notifyLocalChange();
    await flush();
    expect(r.remote.calls.find((c) => c.kind === 'push')?.at).toBe(r.t0 + 1000);
    expect(r.engine.state).toBe('idle');

    r.remote.down = new ServerUnavailableError('503', { status: 503 });
    r.engine.notifyRemoteChange();
    await flush();
    expect(r.engine.state).toBe('backingOff');
    r.remote.down = undefined;
    const before = r.remote.calls.length;
    await r.clock.advance(2000);
    r.engine.notifyOnline();
    await flush();
    expect(r.remote.calls[before]?.at).toBe(r.t0 + 3000);
    expect(r.engine.state).toBe('idle');
    await r.engine.stop();
  });

  it('never calls the server before Retry-After, even when new data arrives', async () => {
    const r = rig();
    r.remote.down = new ServerUnavailableError('429', { status: 429, retryAfterMs: 60_000 });
    r.engine.start();
    await flush();
    r.remote.down = undefined;
    r.store.write('turns', 't1', { n: 1 });
    r.engine.notifyLocalChange();
    await flush();
    expect(r.engine.state).toBe('pulling');
    expect(r.remote.calls).toHaveLength(1);
    await r.clock.advance(59_999);
    expect(r.remote.calls).toHaveLength(1);
    await r.clock.advance(1);
    await flush();
    expect(r.remote.calls[1]?.at).toBe(r.t0 + 60_000);
    expect(r.engine.state).toBe('idle');
    await r.engine.stop();
  });

  it('stops on a session-level error until started again', async () => {
    const r = rig();
    r.remote.down = new AuthRequiredError('JWT expired', { status: 401 });
    r.engine.start();
    await flush();
    expect(r.engine.state).toBe('failed');
    expect((await r.engine.status()).lastError).toBeInstanceOf(AuthRequiredError);
    await r.clock.advance(3_600_000);
    expect(r.remote.calls).toHaveLength(1);
    r.remote.down = undefined;
    r.engine.start();
    await flush();
    expect(r.engine.state).toBe('idle');
    await r.engine.stop();
  });

  it('polls when idle if asked to, and syncs again when data arrives during a push', async () => {
    const r = rig({ pollIntervalMs: 60_000 });
    r.engine.start();
    await flush();
    await r.clock.advance(60_000);
    await flush();
    expect(r.remote.calls.filter((c) => c.kind === 'pull').map((c) => c.at - r.t0)).toEqual([0, 60_000]);
    const unsubscribe = r.engine.subscribe((e) => {
      if (e.type === 'pushProgress' && !r.store.get('turns', 'during')) {
        r.store.write('turns', 'during', { n: 2 });
        r.engine.notifyLocalChange();
      }
    });
    r.store.write('turns', 'first', { n: 1 });
    r.engine.notifyLocalChange();
    await r.clock.advance(500);
    await flush();
    unsubscribe();
    expect(
      r.server
        .snapshot('user-1')
        .map((x) => x.id)
        .sort(),
    ).toEqual(['during', 'first']);
    expect(r.engine.state).toBe('idle');
    await r.engine.stop();
    expect(r.engine.state).toBe('stopped');
    await r.clock.advance(600_000);
    expect(r.remote.calls.filter((c) => c.at > r.clock.now() - 600_000)).toHaveLength(0);
  });
});
