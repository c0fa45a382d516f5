import { describe, expect, it } from 'vitest';
import {
  type CallOptions,
  type PushBatch,
  type PushResult,
  type Remote,
  type RemoteLimits,
  ServerUnavailableError,
  SyncEngine,
  type SyncEvent,
} from '../src/index.js';
import { SUSPECT_TRIES } from '../src/push.js';
import { MemoryLocalStore, MemoryServer } from '../src/testing/index.js';

const TABLES = ['turns'];

/**
 * A server connection that states caps and cancels (SQLSTATE 57014) every push holding a record whose payload
 * says `slow`, as Postgres does when a record is too costly to store within the statement timeout.
 */
class LimitedRemote implements Remote {
  readonly pushed: string[][] = [];
  constructor(
    private readonly inner: Remote,
    private readonly caps?: RemoteLimits,
  ) {}
  async push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    this.pushed.push(batch.records.map((r) => r.id));
    if (batch.records.some((r) => r.payload.slow === true)) {
      throw new ServerUnavailableError('canceling statement due to statement timeout', {
        serverCode: '57014',
      });
    }
    return this.inner.push(batch, options);
  }
  pull: Remote['pull'] = (request, options) => this.inner.pull(request, options);
  summarize: Remote['summarize'] = (tables, options) => this.inner.summarize(tables, options);
  async limits(): Promise<RemoteLimits> {
    if (!this.caps) throw new ServerUnavailableError('no sync_limits here');
    return this.caps;
  }
}

function setUp(caps?: RemoteLimits) {
  const server = new MemoryServer({ tables: TABLES });
  const store = new MemoryLocalStore({ deviceId: 'device-a' });
  const remote = new LimitedRemote(server.connect('user-1'), caps);
  const events: SyncEvent[] = [];
  const engine = new SyncEngine({
    store,
    remote,
    tables: TABLES,
    batchSize: 4,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
  });
  return { server, store, remote, engine, events };
}

describe('poison records never stall the push', () => {
  it("a record above the server's max record size is parked at once, never sent, reported once", async () => {
    const { server, store, remote, engine, events } = setUp({
      maxRecordBytes: 2000,
      maxBatchRows: 100,
      maxBatchBytes: 1_000_000,
    });
    for (let i = 0; i < 6; i++)
      store.write('turns', `t-${i}`, { n: i, text: i === 2 ? 'x'.repeat(5000) : 'ok' });
    const report = await engine.push();
    expect(report).toMatchObject({ accepted: 5, deadLettered: 1, unresolved: 0 });
    expect(remote.pushed.flat()).not.toContain('t-2');
    const [letter] = await store.listDeadLetters();
    expect(letter).toMatchObject({ id: 't-2', code: '54000' });
    expect(letter?.message).toContain('max_record_bytes');
    expect(server.snapshot('user-1').map((r) => r.id)).toEqual(['t-0', 't-1', 't-3', 't-4', 't-5']);
    // A second push neither sends nor reports it again.
    const again = await engine.push();
    expect(again).toMatchObject({ records: 0, deadLettered: 0 });
    expect(events.filter((e) => e.type === 'deadLettered')).toHaveLength(1);
    // Released, it is offered again and parked again (the cap did not change).
    expect(await store.retryDeadLetters()).toBe(1);
    expect(await engine.push()).toMatchObject({ deadLettered: 1 });
  });

  it("keeps batches within the server's row and byte caps", async () => {
    const { store, remote, engine } = setUp({
      maxRecordBytes: 10_000,
      maxBatchRows: 2,
      maxBatchBytes: 1_000_000,
    });
    for (let i = 0; i < 5; i++) store.write('turns', `t-${i}`, { n: i });
    expect(await engine.push()).toMatchObject({ accepted: 5 });
    expect(Math.max(...remote.pushed.map((b) => b.length))).toBe(2);
  });

  it('a record that keeps timing out the statement is isolated and parked after a bounded number of tries', async () => {
    const { server, store, remote, engine } = setUp();
    for (let i = 0; i < 8; i++) store.write('turns', `t-${i}`, { n: i, slow: i === 5 });
    const report = await engine.push();
    expect(report).toMatchObject({ accepted: 7, deadLettered: 1, unresolved: 0 });
    expect(server.snapshot('user-1')).toHaveLength(7);
    const [letter] = await store.listDeadLetters();
    expect(letter).toMatchObject({ id: 't-5', code: '57014' });
    expect(remote.pushed.filter((b) => b.length === 1 && b[0] === 't-5')).toHaveLength(SUSPECT_TRIES);
    // The next push has nothing left to send: the sync is not stalled.
    expect(await engine.push()).toMatchObject({ records: 0 });
  });

  it('without stated caps (an older server) the push still works', async () => {
    const { store, engine } = setUp();
    for (let i = 0; i < 3; i++) store.write('turns', `t-${i}`, { n: i });
    expect(await engine.push()).toMatchObject({ accepted: 3 });
  });
});
