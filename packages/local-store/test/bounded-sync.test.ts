/**
 * A large upload and download in bounded memory, through real SQLite: the push reads the outbox a few batches
 * at a time (never every pending row at once) with at most `pushConcurrency` batches in flight, and the pull
 * stores each page before it asks for the next.
 */
import {
  type PullPage,
  type PullRequest,
  type PushBatch,
  type PushResult,
  type ServerRecord,
  SyncEngine,
  type SyncRecord,
} from '@agentlogs/sync-core';
import { MemoryRemote, MemoryServer } from '@agentlogs/sync-core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type LocalDatabase,
  openLocalDatabase,
  outboxEnvelopePages,
  outboxEnvelopes,
  SqliteSyncStore,
  SYNCED_TABLES,
} from '../src/index.js';
import { tempDir } from './helpers.js';

// Thousands of rows through SQLite: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const TURNS = 3_000;
const BATCH = 100;
const CONCURRENCY = 2;
const PAGE = 250;
const now = Date.parse('2026-04-01T08:00:00.000Z');
const clock = { now: () => now, sleep: async () => {} };

/** The SQLite store, with every outbox read and every applied page counted. */
class ObservedStore extends SqliteSyncStore {
  readonly reads: number[] = [];
  readonly log: string[] = [];
  override async pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
    skip?: (table: string, id: string) => boolean;
  }): Promise<SyncRecord[]> {
    const records = await super.pendingChanges(options);
    this.reads.push(records.length);
    return records;
  }
  override async applyServerRecords(records: ServerRecord[], cursor?: number) {
    if (records.length > 0) this.log.push(`apply ${records.length}`);
    return super.applyServerRecords(records, cursor);
  }
}

/** The reference server's remote, counting the records in requests not answered yet. */
class ObservedRemote extends MemoryRemote {
  inFlight = 0;
  maxInFlight = 0;
  store: ObservedStore | undefined;
  override async push(batch: PushBatch): Promise<PushResult> {
    this.inFlight += batch.records.length;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Let the other lane take its batch while this one is "on the wire".
      await new Promise((resolve) => setTimeout(resolve, 1));
      return await super.push(batch);
    } finally {
      this.inFlight -= batch.records.length;
    }
  }
  override async pull(request: PullRequest): Promise<PullPage> {
    this.store?.log.push('fetch');
    return super.pull(request);
  }
}

const open: { database: LocalDatabase; cleanup: () => void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.database.close();
    o.cleanup();
  }
});

function machine(name: string, server: MemoryServer) {
  const { dir, cleanup } = tempDir();
  const database = openLocalDatabase({ dir });
  open.push({ database, cleanup });
  const store = new ObservedStore(database, {
    deviceId: `device-${name}`,
    machineId: `machine-${name}`,
    now: () => new Date(now),
  });
  const remote = new ObservedRemote(server, 'user-1');
  remote.store = store;
  const engine = new SyncEngine({
    store,
    remote,
    tables: SYNCED_TABLES,
    clock,
    batchSize: BATCH,
    pushConcurrency: CONCURRENCY,
    pullLimit: PAGE,
  });
  return { database, store, remote, engine };
}

/** One session of `TURNS` turns, about 1 kB of text each, written as the importer writes rows. */
function importTurns(database: LocalDatabase) {
  const env = { updated_at: new Date(now).toISOString(), device_id: 'device-a', machine_id: 'machine-a' };
  const { sqlite } = database;
  sqlite.transaction(() => {
    sqlite
      .prepare(
        `insert into sessions (id, source, native_id, cwd, started_at, ended_at, updated_at, device_id, machine_id)
         values ('s-1', 'claude_code', 'n-1', '/w/p', '2026-04-01T07:00:00.000Z', '2026-04-01T07:59:00.000Z', @updated_at, @device_id, @machine_id)`,
      )
      .run(env);
    const turn = sqlite.prepare(
      `insert into turns (id, session_id, role, content, timestamp, input_tokens, output_tokens, updated_at, device_id, machine_id)
       values (?, 's-1', ?, ?, ?, ?, ?, @updated_at, @device_id, @machine_id)`,
    );
    for (let i = 0; i < TURNS; i += 1) {
      turn.run(
        `t-${String(i).padStart(5, '0')}`,
        i % 2 ? 'assistant' : 'user',
        `turn ${i} `.repeat(100),
        new Date(now - (TURNS - i) * 1000).toISOString(),
        i,
        1,
        env,
      );
    }
  })();
}

describe('a large push and pull in bounded memory', () => {
  it('the push reads the outbox in pages of at most pushConcurrency batches and sends everything once', async () => {
    const server = new MemoryServer({ tables: SYNCED_TABLES, clock });
    const a = machine('a', server);
    importTurns(a.database);
    const pending = (await a.store.pendingCounts(SYNCED_TABLES)).turns ?? 0;
    expect(pending).toBe(TURNS);

    const report = await a.engine.push();

    expect(report).toMatchObject({ accepted: report.records, rejected: 0, deadLettered: 0, unresolved: 0 });
    expect(report.records).toBeGreaterThanOrEqual(TURNS + 1);
    expect((await a.store.pendingCounts(SYNCED_TABLES)).turns).toBe(0);
    // Never the whole outbox at once: each read holds at most the batches in flight plus the next one.
    expect(Math.max(...a.store.reads)).toBeLessThanOrEqual(CONCURRENCY * BATCH);
    expect(a.store.reads.length).toBeGreaterThanOrEqual(TURNS / BATCH);
    expect(a.remote.maxInFlight).toBeLessThanOrEqual(CONCURRENCY * BATCH);
    // Both lanes were used: more than one batch was in flight at some point.
    expect(a.remote.maxInFlight).toBeGreaterThan(BATCH);
  });

  it('with records in flight, an outbox read skips them by id and returns what a read without them would', async () => {
    const server = new MemoryServer({ tables: SYNCED_TABLES, clock });
    const a = machine('a', server);
    importTurns(a.database);
    const key = (r: { table: string; id: string }) => `${r.table}/${r.id}`;
    const all = await a.store.pendingChanges({ tables: SYNCED_TABLES, limit: 400, maxBytes: 1e9 });
    // In flight: the session and every other one of the first 200 turns (not a prefix of the outbox).
    const inFlight = new Set(
      all
        .slice(0, 201)
        .filter((_, i) => i % 2 === 0)
        .map(key),
    );
    const skip = (table: string, id: string) => inFlight.has(`${table}/${id}`);
    const expected = all.filter((r) => !inFlight.has(key(r)));
    const skipping = await a.store.pendingChanges({ tables: SYNCED_TABLES, limit: 400, maxBytes: 1e9, skip });
    // The skipped records count toward the limit, as before.
    expect(skipping.map(key)).toEqual(expected.map(key));
    expect(skipping).toEqual(expected);
    // The byte cap still closes the batch at the first record that would pass it.
    const size = (r: SyncRecord) => Buffer.byteLength(JSON.stringify(r));
    const cap = expected.slice(0, 37).reduce((n, r) => n + size(r), 0);
    const capped = await a.store.pendingChanges({ tables: SYNCED_TABLES, limit: 400, maxBytes: cap, skip });
    expect(capped.map(key)).toEqual(expected.slice(0, 37).map(key));
  });

  it('the pull stores each page before it fetches the next', async () => {
    const server = new MemoryServer({ tables: SYNCED_TABLES, clock });
    const a = machine('a', server);
    importTurns(a.database);
    await a.engine.push();

    const b = machine('b', server);
    const report = await b.engine.pull();
    expect(report.records).toBeGreaterThanOrEqual(TURNS + 1);
    expect(b.database.sqlite.prepare('select count(*) as n from turns').get()).toEqual({ n: TURNS });
    const applied = b.store.log.filter((e) => e.startsWith('apply')).map((e) => Number(e.split(' ')[1]));
    expect(Math.max(...applied)).toBeLessThanOrEqual(PAGE);
    expect(applied.length).toBeGreaterThanOrEqual(TURNS / PAGE);
    // fetch, apply, fetch, apply, …: never two pages fetched before the first is stored.
    const order = b.store.log.map((e) => (e === 'fetch' ? 'fetch' : 'apply'));
    for (let i = 1; i < order.length; i += 1) {
      if (order[i] === 'fetch') expect(order[i - 1]).not.toBe('fetch');
    }
  });

  it('the dry run reads the outbox envelopes a page at a time, the same envelopes as in one read', async () => {
    const server = new MemoryServer({ tables: SYNCED_TABLES, clock });
    const a = machine('a', server);
    importTurns(a.database);
    const pages: number[] = [];
    const paged: string[] = [];
    for await (const page of outboxEnvelopePages(a.database, { deviceId: 'device-a', pageSize: 400 })) {
      pages.push(page.length);
      for (const r of page) paged.push(`${r.table}/${r.id}@${r.version}`);
    }
    const whole = (await outboxEnvelopes(a.database, { deviceId: 'device-a' })).map(
      (r) => `${r.table}/${r.id}@${r.version}`,
    );
    expect(Math.max(...pages)).toBe(400);
    expect(pages.length).toBeGreaterThanOrEqual(TURNS / 400);
    expect(paged).toHaveLength(TURNS + 1);
    expect([...paged].sort()).toEqual([...whole].sort());
  });
});
