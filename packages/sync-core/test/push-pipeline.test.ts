import { describe, expect, it } from 'vitest';
import {
  type CallOptions,
  ConstraintViolationError,
  createAbortController,
  isSyncAbortedError,
  type PushBatch,
  type PushResult,
  SyncEngine,
  type SyncEvent,
  SyncNetworkError,
} from '../src/index.js';
import { MemoryLocalStore, MemoryServer, runSimulation, SimulationFailure } from '../src/testing/index.js';
import { flush, GatedRemote } from './support.js';

const TABLES = ['sessions', 'turns'];

/** A remote whose push calls are recorded (the records of each request, in the order they were sent). */
class RecordingRemote extends GatedRemote {
  readonly pushed: PushBatch[] = [];
  override push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    this.pushed.push(JSON.parse(JSON.stringify(batch)) as PushBatch);
    return super.push(batch, options);
  }
}

function setUp(options: { records?: number; batchSize?: number; pushConcurrency?: number } = {}) {
  const server = new MemoryServer({ tables: TABLES });
  const store = new MemoryLocalStore({ deviceId: 'device-a' });
  const remote = new RecordingRemote(server.connect('user-1'));
  const events: SyncEvent[] = [];
  const engine = new SyncEngine({
    store,
    remote,
    tables: TABLES,
    batchSize: options.batchSize ?? 3,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...(options.pushConcurrency !== undefined ? { pushConcurrency: options.pushConcurrency } : {}),
  });
  const count = options.records ?? 10;
  store.write('sessions', 's-1', { title: 'first' });
  for (let i = 0; i < count - 1; i++) store.write('turns', `t-${String(i).padStart(3, '0')}`, { n: i });
  const pendingIds = () =>
    store
      .all()
      .filter((r) => store.isPending(r.table, r.id))
      .map((r) => `${r.table}/${r.id}`)
      .sort();
  const serverIds = () =>
    server
      .snapshot('user-1')
      .map((r) => `${r.table}/${r.id}`)
      .sort();
  return { server, store, remote, engine, events, pendingIds, serverIds, count };
}

const ids = (batch: PushBatch) => batch.records.map((r) => `${r.table}/${r.id}`);

describe('pipelined push (pushConcurrency)', () => {
  it('has two push requests in flight at once by default, and stores every outcome', async () => {
    const { server, store, remote, engine, events, pendingIds, serverIds, count } = setUp();
    const running = engine.push();
    await flush();
    // Two batches of 3 are on the wire before either has answered.
    expect(remote.held.map((h) => h.kind)).toEqual(['push', 'push']);
    expect(remote.pushed.map((b) => b.records.length)).toEqual([3, 3]);
    await remote.releaseAll();
    const report = await running;
    expect(report).toMatchObject({ batches: 4, records: count, accepted: count, rejected: 0, unresolved: 0 });
    expect(remote.pushed.map((b) => b.records.length)).toEqual([3, 3, 3, 1]);
    expect(pendingIds()).toEqual([]);
    expect(serverIds()).toHaveLength(count);
    // Nobody else wrote: the cursor moved past every own write, once per window.
    expect(await store.getCursor()).toBe(server.lastSeq('user-1'));
    const progress = events.filter((e) => e.type === 'pushProgress');
    expect(progress).toHaveLength(4);
    expect(progress.at(-1)).toMatchObject({ pushedRecords: count });
  });

  it('sends the next batch as soon as one is answered, while the other is still in flight', async () => {
    const { remote, engine, count } = setUp();
    const running = engine.push();
    await flush();
    const [first, second] = remote.pushed.map(ids);
    await remote.release();
    // The first answered: a third request is on the wire next to the second, with records of neither.
    expect(remote.held).toHaveLength(2);
    const third = ids(remote.pushed[2] as PushBatch);
    expect(third).toHaveLength(3);
    for (const id of third) {
      expect(first).not.toContain(id);
      expect(second).not.toContain(id);
    }
    await remote.releaseAll();
    expect((await running).accepted).toBe(count);
  });

  it('does not send a newer version of a record while an older one is in flight; it follows once that is answered', async () => {
    const { server, store, remote, engine } = setUp({ records: 4, batchSize: 2 });
    const running = engine.push();
    await flush();
    expect(remote.held).toHaveLength(2);
    const second = ids(remote.pushed[1] as PushBatch);
    const [table, id] = (second[0] ?? '').split('/') as [string, string];
    // Edited locally while its version 1 travels in the second request.
    store.write(table, id, { edited: true });
    await remote.release();
    // The first request answered; the only pending record is in flight, so nothing new is sent.
    expect(remote.held).toHaveLength(1);
    expect(remote.pushed).toHaveLength(2);
    await remote.releaseAll();
    const report = await running;
    expect(report.accepted).toBe(5);
    const sentVersions = remote.pushed.flatMap((b) =>
      b.records.filter((r) => r.table === table && r.id === id).map((r) => r.version),
    );
    expect(sentVersions).toEqual([1, 2]);
    expect(server.snapshot('user-1').find((r) => r.id === id)?.version).toBe(2);
    expect(store.isPending(table, id)).toBe(false);
  });

  it('never has more than pushConcurrency requests in flight', async () => {
    const { remote, engine } = setUp({ records: 40, batchSize: 2, pushConcurrency: 3 });
    const running = engine.push();
    let most = 0;
    for (;;) {
      await flush();
      most = Math.max(most, remote.held.length);
      if (remote.held.length === 0) break;
      await remote.release();
    }
    expect((await running).accepted).toBe(40);
    expect(most).toBe(3);
  });

  it('pushConcurrency 1 sends one request at a time, the same batches in the same order as the outbox', async () => {
    const { store, remote, engine, count } = setUp({ records: 10, batchSize: 4, pushConcurrency: 1 });
    // The batches the outbox yields, read before anything is sent.
    const all = await store.pendingChanges({ tables: TABLES, limit: 1000, maxBytes: 1 << 30 });
    const expected = [all.slice(0, 4), all.slice(4, 8), all.slice(8)].map((b) =>
      b.map((r) => `${r.table}/${r.id}`),
    );
    const running = engine.push();
    for (;;) {
      await flush();
      expect(remote.held.length).toBeLessThanOrEqual(1);
      if (remote.held.length === 0) break;
      await remote.release();
    }
    expect((await running).accepted).toBe(count);
    expect(remote.pushed.map(ids)).toEqual(expected);
    // Parents first, as declared.
    expect(remote.pushed[0]?.records[0]?.table).toBe('sessions');
  });

  it('one batch failing while the other succeeds: the success is stored, the failure thrown, a rerun converges', async () => {
    const { server, store, remote, engine, pendingIds, serverIds, count } = setUp();
    const running = engine.push();
    const outcome = running.then(
      () => null,
      (error: unknown) => error,
    );
    await flush();
    expect(remote.held).toHaveLength(2);
    const [first, second] = remote.pushed.map(ids);
    // The first request fails; the engine still waits for the second, which succeeds.
    await remote.fail(new SyncNetworkError('connection reset'));
    await flush();
    expect(remote.held).toHaveLength(1);
    await remote.release();
    const error = await outcome;
    expect(error).toBeInstanceOf(SyncNetworkError);
    expect((error as Error).message).toBe('connection reset');
    // No third request was started after the failure.
    expect(remote.pushed).toHaveLength(2);
    expect(pendingIds()).toEqual(expect.arrayContaining(first ?? []));
    for (const id of second ?? []) expect(pendingIds()).not.toContain(id);
    expect(serverIds()).toEqual([...(second ?? [])].sort());
    // The second batch's seqs are exactly the first after the cursor: read-your-writes still applies.
    expect(await store.getCursor()).toBe(3);

    remote.holding = false;
    const rerun = await engine.push();
    expect(rerun.accepted).toBe(count - 3);
    expect(pendingIds()).toEqual([]);
    expect(serverIds()).toHaveLength(count);
    // Each record was written once on the server: seqs are unique and no record was stored twice.
    const seqs = server.snapshot('user-1').map((r) => r.changeSeq);
    expect(new Set(seqs).size).toBe(count);
    expect(server.lastSeq('user-1')).toBe(count);
  });

  it('a batch that committed but lost its response stays pending, and its replay is harmless', async () => {
    const { server, store, remote, engine, pendingIds, serverIds, count } = setUp();
    const running = engine.push();
    const outcome = running.then(
      () => null,
      (error: unknown) => error,
    );
    await flush();
    // The first request reaches the server and commits; its response is lost.
    const lost = remote.held.shift();
    await lost?.run();
    lost?.reject(new SyncNetworkError('response lost'));
    await flush();
    await remote.release();
    expect(await outcome).toBeInstanceOf(SyncNetworkError);
    // The lost batch stays pending (with the 4 records not sent yet); the server holds both batches.
    expect(pendingIds()).toHaveLength(count - 3);
    expect(serverIds()).toHaveLength(6);
    // The second batch got seqs 4–6, after the lost batch's: the cursor must not skip 1–3.
    expect(await store.getCursor()).toBe(0);

    remote.holding = false;
    await engine.sync();
    expect(pendingIds()).toEqual([]);
    expect(serverIds()).toHaveLength(count);
    expect(server.lastSeq('user-1')).toBe(count);
    expect(await store.getCursor()).toBe(count);
  });

  it('the cursor moves only over its own seqs when another device wrote between two in-flight batches; the next pull catches up', async () => {
    const { server, store, remote, engine, count } = setUp();
    const other = new MemoryLocalStore({ deviceId: 'device-b' });
    const otherEngine = new SyncEngine({ store: other, remote: server.connect('user-1'), tables: TABLES });
    other.write('sessions', 's-other', { title: 'from b' });
    const running = engine.push();
    await flush();
    await remote.release();
    await otherEngine.push();
    await remote.releaseAll();
    expect((await running).accepted).toBe(count);
    // Seqs 1–3 are ours, 4 is b's, 5–… ours again: the cursor moved over 1–3 only.
    expect(await store.getCursor()).toBe(3);
    remote.holding = false;
    await engine.sync();
    expect(store.get('sessions', 's-other')?.payload).toEqual({ title: 'from b' });
    expect(await store.getCursor()).toBe(server.lastSeq('user-1'));
  });

  it('a record-level error in one in-flight batch parks only its culprit; the other batch goes through', async () => {
    const server = new MemoryServer({
      tables: TABLES,
      validateRecord: (record) =>
        record.payload.poison === true
          ? new ConstraintViolationError('violates check constraint', { serverCode: '23514' })
          : null,
    });
    const store = new MemoryLocalStore({ deviceId: 'device-a' });
    const engine = new SyncEngine({ store, remote: server.connect('user-1'), tables: TABLES, batchSize: 4 });
    for (let i = 0; i < 8; i++) store.write('turns', `t-${i}`, { n: i, poison: i === 1 });
    const report = await engine.push();
    expect(report).toMatchObject({ accepted: 7, deadLettered: 1, unresolved: 0 });
    expect((await store.listDeadLetters()).map((l) => l.id)).toEqual(['t-1']);
    expect(server.snapshot('user-1')).toHaveLength(7);
  });

  it('an abort with two requests in flight leaves both batches pending; a rerun sends each record once', async () => {
    const { server, remote, engine, pendingIds, count } = setUp();
    const controller = createAbortController();
    const running = engine.push({ signal: controller.signal }).then(
      () => null,
      (error: unknown) => error,
    );
    await flush();
    expect(remote.held).toHaveLength(2);
    controller.abort();
    expect(isSyncAbortedError(await running)).toBe(true);
    expect(pendingIds()).toHaveLength(count);
    remote.holding = false;
    expect((await engine.push()).accepted).toBe(count);
    expect(server.lastSeq('user-1')).toBe(count);
  });

  it('refuses a pushConcurrency below 1 or not whole', () => {
    const store = new MemoryLocalStore({ deviceId: 'd' });
    const remote = new MemoryServer({ tables: TABLES }).connect('u');
    for (const pushConcurrency of [0, -1, 1.5]) {
      expect(() => new SyncEngine({ store, remote, tables: TABLES, pushConcurrency })).toThrow(RangeError);
    }
  });

  it.each([1, 4])(
    'the simulation converges with pushConcurrency %i (200 seeds)',
    async (pushConcurrency) => {
      for (let seed = 1; seed <= 200; seed++) {
        try {
          await runSimulation({ seed, pushConcurrency });
        } catch (error) {
          if (error instanceof SimulationFailure)
            throw new Error(`pushConcurrency ${pushConcurrency}: ${error.message}`);
          throw error;
        }
      }
    },
    120_000,
  );
});
