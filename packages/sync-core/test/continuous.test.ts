import { describe, expect, it } from 'vitest';
import {
  type CallOptions,
  compareVersions,
  type PullPage,
  type PullRequest,
  type PushBatch,
  type PushResult,
  type Remote,
  ServerUnavailableError,
  SyncEngine,
  SyncNetworkError,
  type TableSummary,
} from '../src/index.js';
import {
  ManualClock,
  MemoryLocalStore,
  type MemoryRemote,
  MemoryServer,
  type SeededRandom,
  seededRandom,
} from '../src/testing/index.js';
import { flush } from './support.js';

const TABLES = ['sessions', 'turns'];

/** Fails a share of calls with transient errors, some after the server committed. */
class FlakyRemote implements Remote {
  flaky = true;
  constructor(
    private readonly inner: MemoryRemote,
    private readonly random: SeededRandom,
  ) {}
  async push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    if (this.flaky && this.random.chance(0.15)) throw new SyncNetworkError('request lost');
    const result = await this.inner.push(batch, options);
    if (this.flaky && this.random.chance(0.1)) throw new SyncNetworkError('response lost');
    return result;
  }
  async pull(request: PullRequest, options?: CallOptions): Promise<PullPage> {
    if (this.flaky && this.random.chance(0.15))
      throw new ServerUnavailableError('503', { status: 503, retryAfterMs: 2000 });
    return this.inner.pull(request, options);
  }
  async summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]> {
    return this.inner.summarize(tables, options);
  }
}

async function runContinuous(seed: number) {
  const random = seededRandom(seed);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const server = new MemoryServer({ tables: TABLES, clock });
  const machines = Array.from({ length: 3 }, (_, i) => {
    const store = new MemoryLocalStore({ deviceId: `device-${i}`, clock });
    const remote = new FlakyRemote(server.connect('user-1'), random);
    const engine = new SyncEngine({
      store,
      remote,
      tables: TABLES,
      clock,
      random: () => random.next(),
      backoff: { baseMs: 1000, maxMs: 20_000 },
      pullLimit: 3,
      batchSize: 4,
    });
    engine.start();
    return { store, remote, engine };
  });
  const ids = Array.from({ length: 8 }, (_, i) => `r${i}`);
  for (let step = 0; step < 150; step++) {
    await clock.advance(random.int(3000));
    await flush(2);
    const m = random.pick(machines);
    const roll = random.next();
    const table = random.pick(TABLES);
    const id = random.pick(ids);
    const current = m.store.get(table, id);
    if (roll < 0.6 && !current?.deletedAt) {
      m.store.write(table, id, { n: random.int(100) });
      m.engine.notifyLocalChange();
    } else if (roll < 0.75 && current && !current.deletedAt) {
      m.store.remove(table, id);
      m.engine.notifyLocalChange();
    } else if (roll < 0.85) {
      m.engine.notifyOffline();
    } else if (roll < 0.95) {
      m.engine.notifyOnline();
    } else {
      m.engine.notifyRemoteChange();
    }
  }
  // Heal: the network works, everyone is online, hints arrive until nothing moves.
  for (const m of machines) {
    m.remote.flaky = false;
    m.engine.notifyOnline();
  }
  for (let round = 0; round < 4; round++) {
    await clock.advance(60_000);
    await flush();
    for (const m of machines) m.engine.notifyRemoteChange();
    await flush();
  }
  const snapshot = server.snapshot('user-1');
  for (const [i, m] of machines.entries()) {
    expect(m.engine.state, `machine ${i} state (seed ${seed})`).toBe('idle');
    const local = m.store.all().sort((a, b) => (a.table + a.id < b.table + b.id ? -1 : 1));
    const remote = [...snapshot].sort((a, b) => (a.table + a.id < b.table + b.id ? -1 : 1));
    expect(local.length, `machine ${i} record count (seed ${seed})`).toBe(remote.length);
    for (const [k, r] of remote.entries()) {
      const l = local[k];
      expect(
        l && compareVersions(l, r) === 0 && l.id === r.id,
        `machine ${i} ${r.table}/${r.id} (seed ${seed})`,
      ).toBe(true);
    }
    expect(Object.values(await m.store.pendingCounts(TABLES)).every((n) => n === 0)).toBe(true);
    await m.engine.stop();
  }
}

describe('continuous mode under a flaky network', () => {
  it('three machines syncing in the background converge after the network heals (50 seeds)', async () => {
    for (let seed = 1; seed <= 50; seed++) await runContinuous(seed);
  }, 120_000);
});
