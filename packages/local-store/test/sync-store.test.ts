import { type ServerRecord, summarizeRecords } from '@agentlogs/sync-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  getCommit,
  isLocalStoreError,
  type LocalDatabase,
  listCommits,
  openLocalDatabase,
  PAYLOAD_COLUMNS,
  SqliteSyncStore,
  SYNCED_TABLES,
} from '../src/index.js';
import { copyFixture, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let database: LocalDatabase;
let store: SqliteSyncStore;
let clock: number;

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  database = openLocalDatabase({ dir });
  clock = T0;
  store = new SqliteSyncStore(database, {
    deviceId: 'device-a',
    machineId: 'machine-a',
    now: () => new Date(clock),
  });
});
afterEach(async () => {
  await database.close();
  cleanup();
});

const ALL = [...SYNCED_TABLES];

/** Inserts rows the way the importer does: raw statements, new rows at version 1, this device's ids. */
function importRows() {
  const { sqlite } = database;
  const stamp = { updated_at: '2026-03-01T10:00:00.000Z', device_id: 'device-a', machine_id: 'machine-a' };
  sqlite
    .prepare(
      `insert into projects (id, path, name, updated_at, device_id, machine_id)
       values ('p-1', '/w/p', 'p', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp);
  sqlite
    .prepare(
      `insert into sessions (id, source, native_id, project_id, cwd, started_at, ended_at, updated_at, device_id, machine_id)
       values ('s-1', 'claude_code', 'native-1', 'p-1', '/w/p', '2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp);
  sqlite
    .prepare(
      `insert into cognitive_commits (id, session_id, project_id, started_at, closed_at, closed_by, git_hash, updated_at, device_id, machine_id)
       values ('c-1', 's-1', 'p-1', '2026-03-01T09:00:00.000Z', '2026-03-01T09:30:00.000Z', 'git_commit', 'abc1234', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp);
  const turn = sqlite.prepare(
    `insert into turns (id, session_id, commit_id, role, content, timestamp, model, input_tokens, output_tokens, cost_usd, updated_at, device_id, machine_id)
     values (?, 's-1', 'c-1', ?, ?, ?, ?, ?, ?, ?, @updated_at, @device_id, @machine_id)`,
  );
  turn.run('t-1', 'user', 'hi', '2026-03-01T09:00:00.000Z', null, 0, 0, null, stamp);
  turn.run('t-2', 'assistant', 'hello', '2026-03-01T09:00:01.000Z', 'claude-opus-4-5', 10, 20, 0.5, stamp);
  sqlite
    .prepare(
      `insert into visuals (id, commit_id, type, path, captured_at, updated_at, device_id, machine_id)
       values ('v-1', 'c-1', 'screenshot', 'shots/v-1.png', '2026-03-01T09:30:00.000Z', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp);
}

function serverRecord(partial: Partial<ServerRecord> & Pick<ServerRecord, 'table' | 'id'>): ServerRecord {
  return {
    version: 1,
    updatedAt: '2026-03-01T11:00:00.000Z',
    deletedAt: null,
    deviceId: 'device-b',
    payload: {},
    changeSeq: 1,
    ...partial,
  };
}

function row(table: string, id: string): Record<string, unknown> | undefined {
  return database.sqlite.prepare(`select * from ${table} where id = ?`).get(id) as
    | Record<string, unknown>
    | undefined;
}

describe('pending changes', () => {
  it('lists imported rows parents first with the envelope and the payload columns of the data model', async () => {
    importRows();
    const records = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1_000_000 });
    expect(records.map((r) => `${r.table}/${r.id}`)).toEqual([
      'projects/p-1',
      'sessions/s-1',
      'cognitive_commits/c-1',
      'turns/t-1',
      'turns/t-2',
      'visuals/v-1',
    ]);
    const turn = records.find((r) => r.id === 't-2')!;
    expect(turn).toMatchObject({
      version: 1,
      updatedAt: '2026-03-01T10:00:00.000Z',
      deletedAt: null,
      deviceId: 'device-a',
    });
    expect(Object.keys(turn.payload).sort()).toEqual([...PAYLOAD_COLUMNS.turns].sort());
    expect(turn.payload).toMatchObject({
      machine_id: 'machine-a',
      session_id: 's-1',
      commit_id: 'c-1',
      role: 'assistant',
      content: 'hello',
      model: 'claude-opus-4-5',
      input_tokens: 10,
      output_tokens: 20,
      cache_read_tokens: 0,
      cost_usd: 0.5,
      is_sidechain: 0,
    });
    expect(await store.pendingCounts(ALL)).toEqual({
      machines: 0,
      projects: 1,
      sessions: 1,
      cognitive_commits: 1,
      turns: 2,
      visuals: 1,
    });
  });

  it('respects the record limit and the byte budget, but always returns at least one record', async () => {
    importRows();
    expect(await store.pendingChanges({ tables: ALL, limit: 2, maxBytes: 1_000_000 })).toHaveLength(2);
    const one = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1 });
    expect(one.map((r) => r.id)).toEqual(['p-1']);
    const all = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1_000_000 });
    const firstTwo = JSON.stringify(all[0]).length + JSON.stringify(all[1]).length;
    expect(await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: firstTwo })).toHaveLength(2);
  });

  it('refuses a table it does not know with a typed error', async () => {
    await expect(store.pendingChanges({ tables: ['todos'], limit: 1, maxBytes: 1 })).rejects.toMatchObject({
      code: 'UNKNOWN_TABLE',
    });
  });
});

describe('acknowledgement', () => {
  it('markPushed clears pending at that version and keeps the legacy columns coherent', async () => {
    importRows();
    const records = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1_000_000 });
    await store.markPushed(
      records.map((r, i) => ({ table: r.table, id: r.id, version: r.version, changeSeq: i + 1 })),
    );
    expect(await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1_000_000 })).toEqual([]);
    expect(row('cognitive_commits', 'c-1')).toMatchObject({
      synced_version: 1,
      sync_status: 'synced',
      cloud_version: 1,
      local_version: 1,
      cloud_id: 'c-1',
      last_synced_at: new Date(T0).toISOString(),
    });
    // Idempotent.
    await store.markPushed([{ table: 'turns', id: 't-1', version: 1, changeSeq: 4 }]);
    expect(row('turns', 't-1')).toMatchObject({ synced_version: 1, sync_status: 'synced' });
  });

  it('a record edited after it was read stays pending when the older version is acknowledged', async () => {
    importRows();
    const [project] = await store.pendingChanges({ tables: ['cognitive_commits'], limit: 1, maxBytes: 1e6 });
    clock += 1000;
    await store.setCommitTitle('c-1', 'Edited while pushing');
    await store.markPushed([{ table: 'cognitive_commits', id: project!.id, version: 1, changeSeq: 1 }]);
    const [pending] = await store.pendingChanges({ tables: ['cognitive_commits'], limit: 1, maxBytes: 1e6 });
    expect(pending).toMatchObject({ id: 'c-1', version: 2, payload: { title: 'Edited while pushing' } });
    expect(row('cognitive_commits', 'c-1')).toMatchObject({
      synced_version: 1,
      sync_status: 'pending',
      local_version: 2,
    });
    // An acknowledgement for a version this store never held is ignored.
    await store.markPushed([{ table: 'cognitive_commits', id: 'c-1', version: 7, changeSeq: 2 }]);
    expect(row('cognitive_commits', 'c-1')).toMatchObject({ synced_version: 1 });
  });
});

describe('applying server records', () => {
  it('inserts records in change_seq order even when children come before their parents, and stores the cursor', async () => {
    const result = await store.applyServerRecords(
      [
        serverRecord({
          table: 'turns',
          id: 't-9',
          changeSeq: 5,
          payload: {
            session_id: 's-9',
            role: 'user',
            content: 'x',
            timestamp: '2026-03-01T08:00:00.000Z',
            is_sidechain: true,
          },
        }),
        serverRecord({
          table: 'sessions',
          id: 's-9',
          changeSeq: 6,
          payload: {
            started_at: '2026-03-01T08:00:00.000Z',
            ended_at: '2026-03-01T08:10:00.000Z',
            machine_id: 'machine-b',
          },
        }),
      ],
      6,
    );
    expect(result).toEqual({ applied: 2, keptLocal: 0 });
    expect(await store.getCursor()).toBe(6);
    expect(row('turns', 't-9')).toMatchObject({
      content: 'x',
      is_sidechain: 1,
      version: 1,
      synced_version: 1,
      device_id: 'device-b',
      sync_status: 'synced',
    });
    expect(row('sessions', 's-9')).toMatchObject({ machine_id: 'machine-b', synced_version: 1 });
    expect(await store.pendingChanges({ tables: ALL, limit: 10, maxBytes: 1e6 })).toEqual([]);
    // Foreign keys are enforced again afterwards.
    expect(database.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('a server version that beats the local copy replaces it, discarding a losing pending edit', async () => {
    importRows();
    clock += 1000;
    await store.setCommitTitle('c-1', 'local title');
    const winner = serverRecord({
      table: 'cognitive_commits',
      id: 'c-1',
      version: 3,
      payload: { title: 'remote title', hidden: 1 },
    });
    expect(await store.applyServerRecords([winner])).toEqual({ applied: 1, keptLocal: 0 });
    expect(row('cognitive_commits', 'c-1')).toMatchObject({
      title: 'remote title',
      hidden: 1,
      version: 3,
      synced_version: 3,
      device_id: 'device-b',
      sync_status: 'synced',
      // Payload keys the record lacks keep their local value.
      git_hash: 'abc1234',
    });
    expect(await store.pendingCounts(['cognitive_commits'])).toEqual({ cognitive_commits: 0 });
  });

  it('marks the usage rollup stale when a pulled turn changes usage, and not when a push is acknowledged', async () => {
    importRows();
    const rollupValid = () =>
      (database.sqlite.prepare('select valid from usage_rollup').get() as { valid: number }).valid;
    database.sqlite.exec('update usage_rollup set valid = 1');
    const pending = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1_000_000 });
    await store.markPushed(
      pending.map((r, i) => ({ table: r.table, id: r.id, version: r.version, changeSeq: i + 1 })),
    );
    expect(rollupValid()).toBe(1);
    const pulled = serverRecord({
      table: 'turns',
      id: 't-2',
      version: 2,
      payload: {
        session_id: 's-1',
        role: 'assistant',
        timestamp: '2026-03-01T09:00:01.000Z',
        output_tokens: 99,
      },
    });
    expect(await store.applyServerRecords([pulled])).toEqual({ applied: 1, keptLocal: 0 });
    expect(rollupValid()).toBe(0);
    database.sqlite.exec('update usage_rollup set valid = 1');
    const tombstone = serverRecord({
      table: 'turns',
      id: 't-1',
      version: 2,
      deletedAt: '2026-03-01T11:00:00.000Z',
    });
    expect(await store.applyServerRecords([tombstone])).toEqual({ applied: 1, keptLocal: 0 });
    expect(rollupValid()).toBe(0);
  });

  it('a local copy that beats the server version is kept and stays pending', async () => {
    importRows();
    clock += 1000;
    await store.setCommitTitle('c-1', 'local title'); // version 2, updated now
    // The same version claimed later on another machine: the earlier local claim wins.
    const later = serverRecord({
      table: 'cognitive_commits',
      id: 'c-1',
      version: 2,
      updatedAt: new Date(clock + 60_000).toISOString(),
      payload: { title: 'later remote title' },
    });
    expect(await store.applyServerRecords([later], 3)).toEqual({ applied: 0, keptLocal: 1 });
    expect(row('cognitive_commits', 'c-1')).toMatchObject({
      title: 'local title',
      version: 2,
      synced_version: 0,
    });
    expect(await store.getCursor()).toBe(3);
    expect(await store.pendingCounts(['cognitive_commits'])).toEqual({ cognitive_commits: 1 });
  });

  it('the same write coming back (read-your-writes) acknowledges the local copy', async () => {
    importRows();
    const [commit] = await store.pendingChanges({ tables: ['cognitive_commits'], limit: 1, maxBytes: 1e6 });
    const echo: ServerRecord = { ...commit!, changeSeq: 9 };
    expect(await store.applyServerRecords([echo], 9)).toEqual({ applied: 0, keptLocal: 0 });
    expect(row('cognitive_commits', 'c-1')).toMatchObject({ synced_version: 1, sync_status: 'synced' });
  });

  it('a local row whose time is not ISO-8601 loses to the server copy instead of failing the page', async () => {
    importRows();
    database.sqlite.prepare("update turns set updated_at = 'yesterday' where id = 't-1'").run();
    const server = serverRecord({
      table: 'turns',
      id: 't-1',
      version: 1,
      payload: { content: 'from server' },
    });
    expect(await store.applyServerRecords([server], 2)).toEqual({ applied: 1, keptLocal: 0 });
    expect(row('turns', 't-1')).toMatchObject({ content: 'from server', updated_at: server.updatedAt });
  });

  it('stores a pulled tombstone for a row it never had, even with an empty payload', async () => {
    const tombstone = serverRecord({
      table: 'turns',
      id: 't-gone',
      version: 2,
      deletedAt: '2026-03-01T11:00:00.000Z',
    });
    expect(await store.applyServerRecords([tombstone], 1)).toEqual({ applied: 1, keptLocal: 0 });
    expect(row('turns', 't-gone')).toMatchObject({
      deleted_at: '2026-03-01T11:00:00.000Z',
      version: 2,
      role: '',
    });
  });

  it('applies nothing and keeps the cursor when a record of the page cannot be stored', async () => {
    await store.applyServerRecords([], 4);
    await expect(
      store.applyServerRecords(
        [
          serverRecord({ table: 'projects', id: 'p-ok', payload: { path: '/ok' } }),
          serverRecord({ table: 'todos', id: 'x' }),
        ],
        8,
      ),
    ).rejects.toSatisfy(isLocalStoreError);
    expect(row('projects', 'p-ok')).toBeUndefined();
    expect(await store.getCursor()).toBe(4);
  });
});

describe('full resync', () => {
  it('drops acknowledged records the server no longer has, keeps unacknowledged ones, and never re-inserts a dropped id', async () => {
    importRows();
    const records = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1e6 });
    await store.markPushed(
      records.map((r, i) => ({ table: r.table, id: r.id, version: r.version, changeSeq: i + 1 })),
    );
    // t-2 was deleted elsewhere and its tombstone purged; t-3 is new here and never pushed.
    database.sqlite
      .prepare(
        `insert into turns (id, session_id, role, timestamp, updated_at, device_id, machine_id)
         values ('t-3', 's-1', 'user', '2026-03-01T09:05:00.000Z', '2026-03-01T10:00:00.000Z', 'device-a', 'machine-a')`,
      )
      .run();
    await store.applyServerRecords([], 40);
    await store.beginFullResync();
    expect(await store.getCursor()).toBe(40);
    const serverHas = records
      .filter((r) => r.id !== 't-2')
      .map((r, i) => ({ ...r, changeSeq: i + 1 }) satisfies ServerRecord);
    await store.applyServerRecords(serverHas);
    await store.finishFullResync();
    await store.applyServerRecords([], serverHas.length);
    expect(row('turns', 't-2')).toBeUndefined();
    expect(row('turns', 't-1')).toBeDefined();
    expect(row('turns', 't-3')).toBeDefined();
    expect(await store.getCursor()).toBe(serverHas.length);
    // An import of the same transcript cannot bring the purged id back…
    database.sqlite
      .prepare(
        `insert into turns (id, session_id, role, timestamp) values ('t-2', 's-1', 'assistant', '2026-03-01T09:00:01.000Z')
         on conflict (id) do nothing`,
      )
      .run();
    expect(row('turns', 't-2')).toBeUndefined();
    // …but the server can, when it has the record again.
    await store.applyServerRecords(
      [
        serverRecord({
          table: 'turns',
          id: 't-2',
          version: 1,
          payload: { role: 'assistant', timestamp: 'x' },
        }),
      ],
      50,
    );
    expect(row('turns', 't-2')).toMatchObject({ role: 'assistant' });
  });

  it('finishFullResync without beginFullResync removes nothing', async () => {
    importRows();
    const records = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1e6 });
    await store.markPushed(
      records.map((r, i) => ({ table: r.table, id: r.id, version: r.version, changeSeq: i + 1 })),
    );
    await store.finishFullResync();
    expect(await store.summarize(['turns'])).toMatchObject([{ count: 2 }]);
  });
});

describe('dead letters', () => {
  it('parks a record out of the pending set until it is edited or retried', async () => {
    importRows();
    await store.deadLetter([
      {
        table: 'cognitive_commits',
        id: 'c-1',
        version: 1,
        code: '23502',
        message: 'null value',
        at: '2026-03-01T12:00:00.000Z',
      },
    ]);
    expect(await store.listDeadLetters()).toEqual([
      {
        table: 'cognitive_commits',
        id: 'c-1',
        version: 1,
        code: '23502',
        message: 'null value',
        at: '2026-03-01T12:00:00.000Z',
      },
    ]);
    expect(row('cognitive_commits', 'c-1')).toMatchObject({ sync_status: 'error' });
    expect(await store.pendingCounts(['cognitive_commits'])).toEqual({ cognitive_commits: 0 });
    expect(await store.retryDeadLetters()).toBe(1);
    expect(await store.listDeadLetters()).toEqual([]);
    expect(row('cognitive_commits', 'c-1')).toMatchObject({ sync_status: 'pending' });
    expect(await store.pendingCounts(['cognitive_commits'])).toEqual({ cognitive_commits: 1 });

    await store.deadLetter([
      { table: 'cognitive_commits', id: 'c-1', version: 1, code: '22001', message: 'too long', at: 'x' },
    ]);
    await store.setCommitTitle('c-1', 'fixed');
    const [pending] = await store.pendingChanges({ tables: ['cognitive_commits'], limit: 1, maxBytes: 1e6 });
    expect(pending).toMatchObject({ id: 'c-1', version: 2 });
  });
});

describe('summaries', () => {
  it('match sync-core summarizeRecords over the same records: live count and checksum, tombstones apart', async () => {
    importRows();
    await store.deleteRecord('turns', 't-1');
    const records = await store.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1e6 });
    const expected = summarizeRecords(ALL, records);
    expect(await store.summarize(ALL)).toEqual(expected);
    expect((await store.summarize(['turns']))[0]).toMatchObject({ count: 1, deleted: 1 });
    expect((await store.summarize(['turns']))[0]!.checksum).toBeGreaterThan(0);
  });
});

describe('local edits', () => {
  it('title and hide are new versions by this device; delete is a tombstone of the commit and its visuals', async () => {
    importRows();
    clock += 5000;
    expect(await store.setCommitTitle('c-1', 'Parser')).toBe(2);
    expect(await store.setCommitHidden('c-1', true)).toBe(3);
    expect(row('cognitive_commits', 'c-1')).toMatchObject({
      title: 'Parser',
      hidden: 1,
      version: 3,
      updated_at: new Date(T0 + 5000).toISOString(),
      device_id: 'device-a',
      machine_id: 'machine-a',
      sync_status: 'pending',
      local_version: 3,
    });
    expect(await store.deleteCommit('c-1')).toBe(4);
    expect(row('cognitive_commits', 'c-1')).toMatchObject({
      deleted_at: new Date(T0 + 5000).toISOString(),
      version: 4,
    });
    expect(row('visuals', 'v-1')).toMatchObject({
      deleted_at: new Date(T0 + 5000).toISOString(),
      version: 2,
    });
    expect(row('turns', 't-1')).toMatchObject({ deleted_at: null, version: 1 });
    await expect(store.setCommitTitle('c-1', 'again')).rejects.toMatchObject({
      code: 'RECORD_NOT_FOUND',
      message: expect.stringMatching(/deleted/),
    });
    await expect(store.setCommitHidden('nope', true)).rejects.toMatchObject({ code: 'RECORD_NOT_FOUND' });
    await expect(store.editRecord('cognitive_commits', 'c-1', { machine_id: 'x' })).rejects.toThrow(
      /not an editable/,
    );
  });
});

describe('sync state', () => {
  it('keeps the last push and pull outcome and the cursor across reopening', async () => {
    expect(await store.lastOutcome('push')).toBeUndefined();
    await store.recordOutcome('push', { at: '2026-03-01T12:00:00.000Z', ok: true, accepted: 3, rejected: 0 });
    await store.recordOutcome('pull', { at: '2026-03-01T12:00:01.000Z', ok: false, error: 'network down' });
    await store.applyServerRecords([], 12);
    await database.close();
    database = openLocalDatabase({ dir });
    const reopened = new SqliteSyncStore(database, { deviceId: 'device-a', machineId: 'machine-a' });
    expect(await reopened.lastOutcome('push')).toEqual({
      at: '2026-03-01T12:00:00.000Z',
      ok: true,
      accepted: 3,
      rejected: 0,
    });
    expect(await reopened.lastOutcome('pull')).toMatchObject({ ok: false, error: 'network down' });
    expect(await reopened.getCursor()).toBe(12);
  });
});

describe('reading commits', () => {
  it('lists live, visible commits newest first with their turn counts; hidden and deleted on request', async () => {
    importRows();
    database.sqlite
      .prepare(
        `insert into cognitive_commits (id, session_id, started_at, closed_at, closed_by, updated_at, device_id, machine_id)
         values ('c-2', 's-1', '2026-03-01T09:30:01.000Z', '2026-03-01T10:00:00.000Z', 'session_end', 'x', 'device-a', 'machine-a')`,
      )
      .run();
    expect((await listCommits(await database.kysely())).map((c) => [c.id, c.turns, c.pending])).toEqual([
      ['c-2', 0, true],
      ['c-1', 2, true],
    ]);
    await store.setCommitHidden('c-1', true);
    await store.deleteCommit('c-2');
    expect(await listCommits(await database.kysely())).toEqual([]);
    expect((await listCommits(await database.kysely(), { includeHidden: true })).map((c) => c.id)).toEqual([
      'c-1',
    ]);
    expect(
      (await listCommits(await database.kysely(), { includeHidden: true, includeDeleted: true })).map((c) => [
        c.id,
        c.deleted,
      ]),
    ).toEqual([
      ['c-2', true],
      ['c-1', false],
    ]);
    expect(await getCommit(await database.kysely(), 'c-1')).toMatchObject({
      title: null,
      git_hash: 'abc1234',
      closed_by: 'git_commit',
      hidden: true,
      deleted: false,
      turns: 2,
      version: 2,
    });
    expect(await getCommit(await database.kysely(), 'nope')).toBeUndefined();
  });
});

describe('a database upgraded from an earlier release', () => {
  it('claims legacy rows for this device and machine and offers them all for push', async () => {
    const legacyDir = tempDir();
    try {
      const legacy = openLocalDatabase({
        path: copyFixture('agentlogs-v6-upgraded-from-v5.db', legacyDir.dir),
      });
      try {
        const legacyStore = new SqliteSyncStore(legacy, { deviceId: 'device-l', machineId: 'machine-l' });
        const records = await legacyStore.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1e6 });
        expect(records.map((r) => r.table)).toEqual([
          'projects',
          'sessions',
          'cognitive_commits',
          'cognitive_commits',
          'turns',
          'turns',
          'turns',
          'turns',
          'visuals',
        ]);
        expect(records.every((r) => r.deviceId === 'device-l' && r.payload.machine_id === 'machine-l')).toBe(
          true,
        );
        const commit = records.find((r) => r.id === 'e148836c-e30c-5bf5-9054-868d3ab86e35')!;
        expect(commit).toMatchObject({ version: 1, updatedAt: '2026-01-20T09:42:10.512Z' });
        expect(commit.payload).toMatchObject({ title: 'Add parser', git_hash: '3f2a9c1', published: 1 });
        // Claimed once: a later store with other ids does not take them over.
        const later = new SqliteSyncStore(legacy, { deviceId: 'device-x', machineId: 'machine-x' });
        const again = await later.pendingChanges({ tables: ALL, limit: 100, maxBytes: 1e6 });
        expect(again.every((r) => r.deviceId === 'device-l' && r.payload.machine_id === 'machine-l')).toBe(
          true,
        );
      } finally {
        await legacy.close();
      }
    } finally {
      legacyDir.cleanup();
    }
  });
});
