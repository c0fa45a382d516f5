import { describe, expect, it } from 'vitest';
import {
  AuthRequiredError,
  type CallOptions,
  type Clock,
  ConstraintViolationError,
  createAbortController,
  isSyncAbortedError,
  isSyncError,
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
import { MemoryLocalStore, type MemoryRemote, MemoryServer } from '../src/testing/index.js';
import { flush, GatedRemote } from './support.js';

const TABLES = ['projects', 'sessions', 'turns'];

/** A clock that records sleeps and returns at once (time jumps forward). */
class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = Date.UTC(2026, 0, 1)) {}
  now() {
    return this.time;
  }
  async sleep(ms: number) {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** A Remote that records batches and can fail the next calls. */
class ScriptedRemote implements Remote {
  readonly batches: PushBatch[] = [];
  readonly pulls: PullRequest[] = [];
  failures: unknown[] = [];
  constructor(readonly inner: MemoryRemote) {}
  private next() {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
  async push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    this.next();
    this.batches.push(JSON.parse(JSON.stringify(batch)) as PushBatch);
    return this.inner.push(batch, options);
  }
  async pull(request: PullRequest, options?: CallOptions): Promise<PullPage> {
    this.next();
    this.pulls.push(request);
    return this.inner.pull(request, options);
  }
  async summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]> {
    return this.inner.summarize(tables, options);
  }
}

function machine(
  server: MemoryServer,
  deviceId: string,
  options: Partial<ConstructorParameters<typeof SyncEngine>[0]> = {},
) {
  const clock = new RecordingClock();
  const store = new MemoryLocalStore({ deviceId, clock });
  const remote = new ScriptedRemote(server.connect('user-1'));
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
  return { clock, store, remote, engine, events };
}

describe('push (the outbox)', () => {
  it('sends pending records in batches bounded by count and bytes, parents before children', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const m = machine(server, 'device-a', { batchSize: 4, batchBytes: 1200 });
    for (let i = 0; i < 9; i++) m.store.write('turns', `t${i}`, { text: 'x'.repeat(100) });
    for (let i = 0; i < 3; i++) m.store.write('sessions', `s${i}`, { title: 's' });
    m.store.write('projects', 'p0', { path: '/p' });
    const report = await m.engine.push();
    expect(report).toMatchObject({ accepted: 13, rejected: 0, deadLettered: 0, unresolved: 0, records: 13 });
    const order = m.remote.batches.flatMap((b) => b.records.map((r) => r.table));
    expect(order).toEqual(['projects', ...Array(3).fill('sessions'), ...Array(9).fill('turns')]);
    for (const batch of m.remote.batches) {
      expect(batch.records.length).toBeLessThanOrEqual(4);
      expect(batch.records.length === 1 || JSON.stringify(batch.records).length <= 1200 + 200).toBe(true);
    }
    const progress = m.events.filter((e) => e.type === 'pushProgress');
    expect(progress.length).toBe(m.remote.batches.length);
    expect(progress.at(-1)).toMatchObject({ pushedRecords: 13, pushedBytes: report.bytes });
    expect(await m.store.pendingCounts(TABLES)).toEqual({ projects: 0, sessions: 0, turns: 0 });
    expect(server.snapshot('user-1')).toHaveLength(13);
  });

  it('a rejected write takes the server’s winner locally and stops being pending', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const a = machine(server, 'device-a');
    const b = machine(server, 'device-b');
    a.store.write('sessions', 's1', { title: 'from a' });
    a.store.write('sessions', 's1', { title: 'from a, v2' });
    await a.engine.push();
    b.store.write('sessions', 's1', { title: 'from b' });
    const report = await b.engine.push();
    expect(report).toMatchObject({ accepted: 0, rejected: 1 });
    expect(b.store.get('sessions', 's1')).toMatchObject({ version: 2, payload: { title: 'from a, v2' } });
    expect(b.store.isPending('sessions', 's1')).toBe(false);
  });

  it('parks a record the server refuses for good, and the rest of the batch goes through', async () => {
    const server = new MemoryServer({
      tables: TABLES,
      validateRecord: (r) =>
        r.payload.bad
          ? new ConstraintViolationError('violates check constraint', { serverCode: '23514' })
          : null,
    });
    const m = machine(server, 'device-a', { batchSize: 16 });
    for (let i = 0; i < 10; i++) m.store.write('turns', `t${i}`, i === 6 ? { bad: true } : { n: i });
    const report = await m.engine.push();
    expect(report).toMatchObject({ accepted: 9, deadLettered: 1 });
    expect(await m.store.listDeadLetters()).toEqual([
      expect.objectContaining({ table: 'turns', id: 't6', version: 1, code: '23514' }),
    ]);
    expect(m.events.some((e) => e.type === 'deadLettered')).toBe(true);
    const calls = m.remote.batches.length;
    expect((await m.engine.push()).records).toBe(0);
    expect(m.remote.batches.length).toBe(calls);
    // Fixed and retried by the user: it goes through.
    m.store.write('turns', 't6', { n: 6 });
    expect(await m.engine.push()).toMatchObject({ accepted: 1, deadLettered: 0 });
    expect(server.snapshot('user-1')).toHaveLength(10);
  });

  it('a session-level permanent error stops the push without parking anything', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const m = machine(server, 'device-a');
    m.store.write('turns', 't1', { n: 1 });
    m.remote.failures = [new AuthRequiredError('JWT expired', { status: 401, serverCode: 'PGRST301' })];
    await expect(m.engine.push()).rejects.toBeInstanceOf(AuthRequiredError);
    expect(await m.store.listDeadLetters()).toEqual([]);
    expect(m.store.isPending('turns', 't1')).toBe(true);
  });

  it('an error that is not a sync error (a driver bug, a fetch TypeError) counts as a network failure', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const m = machine(server, 'device-a');
    m.store.write('turns', 't1', { n: 1 });
    m.remote.failures = [new TypeError('fetch failed')];
    const error = await m.engine.push().catch((e: unknown) => e);
    expect(isSyncError(error) && error.code).toBe('network');
  });
});

describe('pull', () => {
  it('downloads pages after the cursor and stores the cursor with each page', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const writer = machine(server, 'device-w');
    for (let i = 0; i < 7; i++) writer.store.write('turns', `t${i}`, { n: i });
    await writer.engine.push();
    const reader = machine(server, 'device-r', { pullLimit: 3 });
    const report = await reader.engine.pull();
    expect(report).toMatchObject({ pages: 3, records: 7, applied: 7, cursor: 7, fullResync: false });
    expect(reader.remote.pulls.map((p) => p.cursor)).toEqual([0, 3, 6]);
    expect(await reader.store.getCursor()).toBe(7);
    const progress = reader.events.filter((e) => e.type === 'pullProgress');
    expect(progress.map((e) => e.type === 'pullProgress' && e.cursor)).toEqual([3, 6, 7]);
    expect((await reader.engine.pull()).records).toBe(0);
  });

  it('a client whose cursor is older than the purge watermark does a full resync and drops purged records', async () => {
    const clock = new RecordingClock();
    const server = new MemoryServer({ tables: TABLES, clock });
    const a = machine(server, 'device-a');
    const b = machine(server, 'device-b');
    a.store.write('sessions', 'gone', { title: 'x' });
    a.store.write('sessions', 'kept', { title: 'y' });
    await a.engine.sync();
    await b.engine.sync();
    expect(b.store.get('sessions', 'gone')?.deletedAt).toBeNull();
    a.store.remove('sessions', 'gone');
    a.store.write('turns', 'later', { n: 1 });
    await a.engine.sync();
    clock.time += 31 * 24 * 3600 * 1000;
    expect(server.purgeTombstones()).toHaveLength(1);
    b.store.write('turns', 'offline-edit', { n: 2 });
    const report = await b.engine.sync();
    expect(report.pull.fullResync).toBe(true);
    expect(b.store.get('sessions', 'gone')).toBeNull();
    expect(b.store.get('sessions', 'kept')).not.toBeNull();
    expect(b.store.get('turns', 'later')).not.toBeNull();
    expect(
      server
        .snapshot('user-1')
        .map((r) => r.id)
        .sort(),
    ).toEqual(['kept', 'later', 'offline-edit']);
    expect(
      b.events.filter((e) => e.type === 'fullResync').map((e) => e.type === 'fullResync' && e.phase),
    ).toEqual(['start', 'finish']);
    expect((await b.engine.sync()).pull.fullResync).toBe(false);
  });

  it('a machine that pushed but never pulled (cursor 0) also resyncs when purges passed it by', async () => {
    const clock = new RecordingClock();
    const server = new MemoryServer({ tables: TABLES, clock });
    const a = machine(server, 'device-a');
    const b = machine(server, 'device-b');
    a.store.write('turns', 'first', { n: 1 });
    await a.engine.push();
    b.store.write('sessions', 'shared', { title: 'b' });
    await b.engine.push();
    expect(await b.store.getCursor()).toBe(0); // seq 2 does not follow b's cursor 0: nothing skipped
    await a.engine.sync();
    a.store.remove('sessions', 'shared');
    await a.engine.sync();
    clock.time += 31 * 24 * 3600 * 1000;
    expect(server.purgeTombstones()).toHaveLength(1);
    const fresh = machine(server, 'device-fresh');
    expect((await fresh.engine.pull()).fullResync).toBe(false);
    const report = await b.engine.pull();
    expect(report.fullResync).toBe(true);
    expect(b.store.get('sessions', 'shared')).toBeNull();
    expect(b.store.get('turns', 'first')).not.toBeNull();
  });

  it('a stale write of a purged record is refused and the deletion reaches the stale machine', async () => {
    const clock = new RecordingClock();
    const server = new MemoryServer({ tables: TABLES, clock });
    const a = machine(server, 'device-a');
    a.store.write('sessions', 's', { title: 'x' });
    await a.engine.sync();
    a.store.remove('sessions', 's');
    await a.engine.sync();
    clock.time += 31 * 24 * 3600 * 1000;
    server.purgeTombstones();
    // A machine that never saw the record creates it (e.g. imports the same transcript again).
    const c = machine(server, 'device-c');
    c.store.write('sessions', 's', { title: 'again' });
    const report = await c.engine.sync();
    expect(report.push.rejected).toBe(1);
    expect(c.store.get('sessions', 's')?.deletedAt).not.toBeNull();
    expect(server.snapshot('user-1')).toEqual([]);
  });

  it('refuses pages that do not answer the request and stops a server that never advances', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const m = machine(server, 'device-a');
    const inner = m.remote.inner;
    const wrong: Remote = {
      push: (b) => inner.push(b),
      summarize: (t) => inner.summarize(t),
      pull: async () => ({
        records: [{ ...(await seed(server)), changeSeq: 0 }],
        nextCursor: 5,
        hasMore: false,
        oldestRetainedSeq: 0,
      }),
    };
    const e1 = await new SyncEngine({ store: m.store, remote: wrong, tables: TABLES })
      .pull()
      .catch((e: unknown) => e);
    expect(isSyncError(e1) && e1.transient).toBe(true);
    const stuck: Remote = {
      ...wrong,
      pull: async (request) => ({
        records: [],
        nextCursor: request.cursor,
        hasMore: true,
        oldestRetainedSeq: 0,
      }),
    };
    const e2 = await new SyncEngine({ store: m.store, remote: stuck, tables: TABLES })
      .pull()
      .catch((e: unknown) => e);
    expect(isSyncError(e2) && e2.code).toBe('protocol');
    expect(await m.store.getCursor()).toBe(0);
  });
});

async function seed(server: MemoryServer) {
  server.push('user-x', {
    deviceId: 'd',
    records: [
      {
        table: 'turns',
        id: 'x',
        version: 1,
        updatedAt: '2026-01-01T00:00:00Z',
        deletedAt: null,
        deviceId: 'd',
        payload: {},
      },
    ],
  });
  return server.snapshot('user-x')[0] as NonNullable<ReturnType<MemoryServer['snapshot']>[number]>;
}

describe('sync', () => {
  it('pull → push → pull until quiet: two machines converge, each edit wins by the conflict rule', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const a = machine(server, 'device-a');
    const b = machine(server, 'device-b');
    a.store.write('sessions', 's1', { title: 'a1' });
    b.store.write('sessions', 's2', { title: 'b1' });
    const first = await a.engine.sync();
    expect(first).toMatchObject({ quiet: true, rounds: 2 });
    await b.engine.sync();
    await a.engine.sync();
    expect(
      a.store
        .all()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['s1', 's2']);
    expect(
      b.store
        .all()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['s1', 's2']);
  });

  it('read-your-writes: own accepted writes move the cursor when nobody wrote in between', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const a = machine(server, 'device-a');
    const b = machine(server, 'device-b');
    a.store.write('turns', 't1', { n: 1 });
    a.store.write('turns', 't2', { n: 2 });
    await a.engine.push();
    expect(await a.store.getCursor()).toBe(2);
    expect((await a.engine.pull()).records).toBe(0);
    // Someone else wrote in between: the cursor stays, and the own rows come back harmlessly.
    b.store.write('turns', 'b1', { n: 3 });
    await b.engine.push();
    a.store.write('turns', 't3', { n: 4 });
    await a.engine.push();
    expect(await a.store.getCursor()).toBe(2);
    const pulled = await a.engine.pull();
    expect(pulled).toMatchObject({ records: 2, cursor: 4 });
    expect(await a.store.pendingCounts(TABLES)).toEqual({ projects: 0, sessions: 0, turns: 0 });
    expect(a.store.get('turns', 't3')?.version).toBe(1);
  });

  it('retries transient errors with backoff 15 s → 30 s and honours Retry-After', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const m = machine(server, 'device-a');
    m.store.write('turns', 't1', { n: 1 });
    m.remote.failures = [
      new ServerUnavailableError('503', { status: 503 }),
      new ServerUnavailableError('503', { status: 503 }),
      new ServerUnavailableError('503', { status: 503, retryAfterMs: 120_000 }),
    ];
    const report = await m.engine.sync({ retries: 3 });
    expect(report.push.accepted).toBe(1);
    expect(m.clock.sleeps).toEqual([15_000, 30_000, 120_000]);
    const retries = m.events.flatMap((e) =>
      e.type === 'retryScheduled' ? [[e.attempt, e.delayMs, e.error.code]] : [],
    );
    expect(retries).toEqual([
      [1, 15_000, 'server_unavailable'],
      [2, 30_000, 'server_unavailable'],
      [3, 120_000, 'server_unavailable'],
    ]);
  });

  it('gives up after the allowed retries, and never retries a permanent error', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const m = machine(server, 'device-a');
    m.remote.failures = Array.from({ length: 5 }, () => new ServerUnavailableError('503', { status: 503 }));
    await expect(m.engine.sync({ retries: 2 })).rejects.toBeInstanceOf(ServerUnavailableError);
    expect(m.clock.sleeps).toHaveLength(2);
    const n = machine(server, 'device-b');
    n.remote.failures = [new AuthRequiredError('sign in', { status: 401 })];
    await expect(n.engine.sync({ retries: 5 })).rejects.toBeInstanceOf(AuthRequiredError);
    expect(n.clock.sleeps).toHaveLength(0);
  });

  it('cancellation by AbortSignal stops a running pull without moving the cursor', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const writer = machine(server, 'device-w');
    writer.store.write('turns', 't1', { n: 1 });
    await writer.engine.push();
    const store = new MemoryLocalStore({ deviceId: 'device-r' });
    const gated = new GatedRemote(server.connect('user-1'));
    const engine = new SyncEngine({ store, remote: gated, tables: TABLES });
    const controller = createAbortController();
    const running = engine.sync({ signal: controller.signal });
    await flush();
    expect(gated.held).toHaveLength(1);
    controller.abort();
    const error = await running.catch((e: unknown) => e);
    expect(isSyncAbortedError(error)).toBe(true);
    expect(await store.getCursor()).toBe(0);
    expect(store.all()).toEqual([]);
  });
});

describe('verify', () => {
  it('agrees when replicas match, reports a damaged table, and repairs it by re-downloading', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const a = machine(server, 'device-a');
    for (let i = 0; i < 5; i++) a.store.write('turns', `t${i}`, { n: i });
    a.store.write('sessions', 's', { n: 1 });
    a.store.remove('turns', 't4');
    await a.engine.sync();
    const ok = await a.engine.verify();
    expect(ok.ok).toBe(true);
    expect(ok.tables.find((t) => t.table === 'turns')).toMatchObject({
      match: true,
      local: { count: 4, deleted: 1 },
    });
    // Damage: a record the server never had appears locally as acknowledged.
    await a.store.applyServerRecords([
      {
        table: 'turns',
        id: 'ghost',
        version: 1,
        updatedAt: '2026-01-01T00:00:00Z',
        deletedAt: null,
        deviceId: 'x',
        payload: {},
        changeSeq: 1,
      },
    ]);
    const bad = await a.engine.verify();
    expect(bad.ok).toBe(false);
    expect(bad.tables.filter((t) => !t.match).map((t) => t.table)).toEqual(['turns']);
    const repaired = await a.engine.verify({ repair: true });
    expect(repaired).toMatchObject({ ok: true, repaired: true });
    expect(a.store.get('turns', 'ghost')).toBeNull();
  });
});

describe('cancellation', () => {
  it('settles at once when aborted even if the adapter ignores its signal; the push is replayed later', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const store = new MemoryLocalStore({ deviceId: 'device-a' });
    store.write('turns', 't1', { n: 1 });
    const inner = server.connect('user-1');
    let finishPush: () => void = () => {};
    const deaf: Remote = {
      pull: (r) => inner.pull(r),
      summarize: (t) => inner.summarize(t),
      push: (batch) =>
        new Promise<PushResult>((resolve) => {
          finishPush = () => resolve(inner.push(batch));
        }),
    };
    const engine = new SyncEngine({ store, remote: deaf, tables: TABLES });
    const controller = createAbortController();
    const running = engine.push({ signal: controller.signal });
    await flush();
    controller.abort();
    expect(isSyncAbortedError(await running.catch((e: unknown) => e))).toBe(true);
    finishPush(); // the server commits after the client gave up
    await flush();
    expect(store.isPending('turns', 't1')).toBe(true);
    const again = new SyncEngine({ store, remote: inner, tables: TABLES });
    expect(await again.push()).toMatchObject({ accepted: 1 });
    expect(store.isPending('turns', 't1')).toBe(false);
    expect(server.snapshot('user-1')).toHaveLength(1);
  });
});
