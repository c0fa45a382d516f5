import type { AcceptedRecord } from '@agentlogs/sync-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findCommit,
  findCommitsByPrefix,
  getCommitView,
  type LocalDatabase,
  listCommitViews,
  listMachineTotals,
  listPendingRecords,
  markEverythingPending,
  openLocalDatabase,
  outboxEnvelopes,
  recordMachine,
  SqliteSyncStore,
} from '../src/index.js';
import { tempDir } from './helpers.js';

let cleanup: () => void;
let database: LocalDatabase;
let store: SqliteSyncStore;
let clock: number;

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MACHINE = { id: 'machine-a', deviceId: 'device-a', name: 'laptop', hostname: 'lap', platform: 'linux' };

beforeEach(() => {
  let dir: string;
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

/** Two sessions' worth of rows as the importer writes them: machine-a records s-1, machine-b records s-2. */
function importRows() {
  const { sqlite } = database;
  const at = '2026-03-01T10:00:00.000Z';
  const insertSession = sqlite.prepare(
    `insert into sessions (id, source, native_id, started_at, ended_at, updated_at, device_id, machine_id)
     values (?, 'claude_code', ?, ?, ?, ?, 'device-a', ?)`,
  );
  insertSession.run('s-1', 'n-1', '2026-03-01T09:00:00.000Z', at, at, 'machine-a');
  insertSession.run('s-2', 'n-2', '2026-03-02T09:00:00.000Z', at, at, 'machine-b');
  const insertCommit = sqlite.prepare(
    `insert into cognitive_commits (id, session_id, project_name, started_at, closed_at, closed_by, git_hash,
                                    files_changed, updated_at, device_id, machine_id)
     values (?, ?, 'proj', ?, ?, ?, ?, ?, ?, 'device-a', ?)`,
  );
  insertCommit.run(
    'abc12345-0001',
    's-1',
    '2026-03-01T09:00:00.000Z',
    '2026-03-01T09:30:00.000Z',
    'git_commit',
    'deadbee',
    JSON.stringify(['a.ts', 'b.ts']),
    '2026-03-01T09:30:00.000Z',
    'machine-a',
  );
  insertCommit.run(
    'abc12345-0002',
    's-2',
    '2026-03-02T09:00:00.000Z',
    '2026-03-02T09:30:00.000Z',
    'session_end',
    null,
    'not json',
    '2026-03-02T09:30:00.000Z',
    'machine-b',
  );
  const insertTurn = sqlite.prepare(
    `insert into turns (id, session_id, commit_id, role, timestamp, input_tokens, output_tokens, updated_at,
                        device_id, machine_id, deleted_at)
     values (?, ?, ?, 'assistant', ?, ?, ?, ?, 'device-a', ?, ?)`,
  );
  insertTurn.run('t-1', 's-1', 'abc12345-0001', at, 100, 10, '2026-03-01T09:10:00.000Z', 'machine-a', null);
  insertTurn.run('t-2', 's-1', 'abc12345-0001', at, 200, 20, '2026-03-01T09:20:00.000Z', 'machine-a', null);
  insertTurn.run('t-3', 's-1', 'abc12345-0001', at, 999, 99, '2026-03-01T09:25:00.000Z', 'machine-a', at);
  insertTurn.run('t-4', 's-2', 'abc12345-0002', at, 5, 1, '2026-03-02T09:10:00.000Z', 'machine-b', null);
}

describe('machines', () => {
  it('records this machine once, renames it as a new version, and leaves a deleted row deleted', async () => {
    expect(await recordMachine(store, MACHINE, new Date(T0))).toBe('created');
    expect(await recordMachine(store, MACHINE)).toBe('unchanged');
    const created = database.sqlite.prepare('select * from machines where id = ?').get('machine-a');
    expect(created).toMatchObject({
      name: 'laptop',
      hostname: 'lap',
      platform: 'linux',
      version: 1,
      synced_version: 0,
      device_id: 'device-a',
      machine_id: 'machine-a',
      updated_at: '2026-03-01T12:00:00.000Z',
    });
    await store.markPushed([{ table: 'machines', id: 'machine-a', version: 1, changeSeq: 1 }]);
    expect(await recordMachine(store, { ...MACHINE, name: 'work laptop' })).toBe('renamed');
    expect(
      database.sqlite.prepare('select name, version from machines where id = ?').get('machine-a'),
    ).toEqual({
      name: 'work laptop',
      version: 2,
    });
    database.sqlite.prepare("update machines set deleted_at = '2026-03-01T13:00:00.000Z'").run();
    expect(await recordMachine(store, { ...MACHINE, name: 'again' })).toBe('unchanged');
  });

  it('totals the live rows each live machine recorded, by name', async () => {
    await recordMachine(store, MACHINE);
    await recordMachine(store, { ...MACHINE, id: 'machine-b', deviceId: 'device-b', name: 'desktop' });
    await recordMachine(store, { ...MACHINE, id: 'machine-c', deviceId: 'device-c', name: 'gone' });
    database.sqlite
      .prepare("update machines set deleted_at = '2026-03-01T13:00:00.000Z' where id = 'machine-c'")
      .run();
    importRows();
    expect(await listMachineTotals(database)).toEqual([
      {
        id: 'machine-b',
        name: 'desktop',
        hostname: 'lap',
        platform: 'linux',
        sessions: 1,
        turns: 1,
        input_tokens: 5,
        output_tokens: 1,
      },
      {
        id: 'machine-a',
        name: 'laptop',
        hostname: 'lap',
        platform: 'linux',
        sessions: 1,
        turns: 2,
        input_tokens: 300,
        output_tokens: 30,
      },
    ]);
  });
});

describe('outbox', () => {
  it('lists pending records as new, edit or delete, skipping acknowledged and parked versions', async () => {
    importRows();
    const accepted: AcceptedRecord[] = [
      { table: 'turns', id: 't-1', version: 1, changeSeq: 1 },
      { table: 'turns', id: 't-2', version: 1, changeSeq: 2 },
      { table: 'turns', id: 't-4', version: 1, changeSeq: 3 },
    ];
    await store.markPushed(accepted);
    clock = T0 + 1000;
    await store.editRecord('turns', 't-1', { input_tokens: 101 });
    await store.deadLetter([
      {
        table: 'sessions',
        id: 's-2',
        version: 1,
        code: '23502',
        message: 'bad',
        at: '2026-03-01T12:00:00.000Z',
      },
    ]);
    const pending = await listPendingRecords(database, 100);
    expect(pending.map((r) => [r.table, r.id, r.version, r.change])).toEqual([
      ['sessions', 's-1', 1, 'new'],
      ['cognitive_commits', 'abc12345-0001', 1, 'new'],
      ['cognitive_commits', 'abc12345-0002', 1, 'new'],
      ['turns', 't-3', 1, 'delete'],
      ['turns', 't-1', 2, 'edit'],
    ]);
    expect(pending.find((r) => r.id === 't-1')?.updated_at).toBe('2026-03-01T12:00:01.000Z');
    expect((await listPendingRecords(database, 2)).map((r) => r.id)).toEqual(['s-1', 'abc12345-0001']);
    expect(await listPendingRecords(database, 0)).toEqual([]);

    const envelopes = await outboxEnvelopes(database, { deviceId: 'fallback' });
    expect(envelopes.map((r) => `${r.table}/${r.id}@${r.version}`).sort()).toEqual(
      pending.map((r) => `${r.table}/${r.id}@${r.version}`).sort(),
    );
    expect(envelopes.find((r) => r.id === 't-3')).toEqual({
      table: 'turns',
      id: 't-3',
      version: 1,
      updatedAt: '2026-03-01T09:25:00.000Z',
      deletedAt: '2026-03-01T10:00:00.000Z',
      deviceId: 'device-a',
      payload: {},
    });
    expect(await outboxEnvelopes(database, { deviceId: 'fallback', all: true })).toHaveLength(8);
  });

  it('makes everything pending again and releases the dead letters', async () => {
    importRows();
    await store.markPushed([
      { table: 'turns', id: 't-1', version: 1, changeSeq: 1 },
      { table: 'sessions', id: 's-1', version: 1, changeSeq: 2 },
    ]);
    await store.deadLetter([
      {
        table: 'turns',
        id: 't-2',
        version: 1,
        code: '23502',
        message: 'bad',
        at: '2026-03-01T12:00:00.000Z',
      },
    ]);
    expect(await store.listDeadLetters()).toHaveLength(1);
    expect(await markEverythingPending(store)).toBe(2);
    expect(await store.listDeadLetters()).toEqual([]);
    expect((await listPendingRecords(database, 100)).length).toBe(8);
    expect(await markEverythingPending(store)).toBe(0);
  });
});

describe('commit views', () => {
  it('lists live commits newest first with machine, totals of live turns and files', async () => {
    importRows();
    await recordMachine(store, MACHINE);
    const views = await listCommitViews(database);
    expect(views.map((v) => v.id)).toEqual(['abc12345-0002', 'abc12345-0001']);
    expect(views[1]).toEqual({
      id: 'abc12345-0001',
      title: null,
      hidden: false,
      session_id: 's-1',
      project_name: 'proj',
      git_hash: 'deadbee',
      closed_by: 'git_commit',
      started_at: '2026-03-01T09:00:00.000Z',
      closed_at: '2026-03-01T09:30:00.000Z',
      machine_id: 'machine-a',
      machine_name: 'laptop',
      turns: 2,
      input_tokens: 300,
      output_tokens: 30,
      files_changed: ['a.ts', 'b.ts'],
      version: 1,
      pending: true,
    });
    expect(views[0]).toMatchObject({ machine_name: null, files_changed: [], turns: 1 });

    await store.setCommitHidden('abc12345-0002', true);
    expect((await listCommitViews(database)).map((v) => v.id)).toEqual(['abc12345-0001']);
    expect(await listCommitViews(database, { includeHidden: true, limit: 1 })).toHaveLength(1);
    expect((await listCommitViews(database, { includeHidden: true, sessionId: 's-2' }))[0]).toMatchObject({
      id: 'abc12345-0002',
      hidden: true,
      version: 2,
    });
    expect((await getCommitView(database, 'abc12345-0002'))?.hidden).toBe(true);

    await store.deleteCommit('abc12345-0001');
    expect(await getCommitView(database, 'abc12345-0001')).toBeUndefined();
    expect(await listCommitViews(database, { includeHidden: true })).toHaveLength(1);
  });

  it('finds a commit by id (deleted ones too) and live commits by prefix', async () => {
    importRows();
    expect(await findCommit(database, 'abc12345-0001')).toEqual({ id: 'abc12345-0001', deleted: false });
    expect(await findCommit(database, 'nope')).toBeUndefined();
    expect(await findCommitsByPrefix(database, 'ABC123')).toEqual(['abc12345-0001', 'abc12345-0002']);
    expect(await findCommitsByPrefix(database, 'abc12345-0002')).toEqual(['abc12345-0002']);
    expect(await findCommitsByPrefix(database, 'abc_2345')).toEqual([]);
    expect(await findCommitsByPrefix(database, '%')).toEqual([]);
    await store.deleteCommit('abc12345-0002');
    expect(await findCommit(database, 'abc12345-0002')).toEqual({ id: 'abc12345-0002', deleted: true });
    expect(await findCommitsByPrefix(database, 'abc12345')).toEqual(['abc12345-0001']);
  });
});
