import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findSessionIds,
  flushSearchIndex,
  getSessionView,
  type LocalDatabase,
  listSessionTurns,
  listSessionViews,
  openLocalDatabase,
  pendingSearchTurns,
  SqliteSyncStore,
  searchStatus,
  searchTurns,
  TranscriptImport,
  toMatchQuery,
} from '../src/index.js';
import { runMigrations } from '../src/migrations.js';
import { flushSearchIndexInSlices } from '../src/search-index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let database: LocalDatabase;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  database = openLocalDatabase({ dir });
});
afterEach(async () => {
  await database.close();
  cleanup();
});

const STAMP = { updated_at: '2026-11-01T10:00:00.000Z', device_id: 'device-a' };

function addSession(db: BetterSqlite3.Database, id: string, project: string, machine = 'machine-a') {
  db.prepare(
    `insert or ignore into machines (id, name, updated_at, device_id, machine_id) values (?, ?, @updated_at, @device_id, ?)`,
  ).run(machine, machine === 'machine-a' ? 'laptop' : 'desktop', machine, STAMP);
  db.prepare(
    `insert or ignore into projects (id, path, name, updated_at, device_id, machine_id) values (?, ?, ?, @updated_at, @device_id, ?)`,
  ).run(`p-${project}`, `/home/u/src/${project}`, project, machine, STAMP);
  db.prepare(
    `insert into sessions (id, source, native_id, project_id, cwd, started_at, ended_at, updated_at, device_id, machine_id)
     values (?, 'claude_code', ?, ?, ?, '2026-11-01T09:00:00.000Z', '2026-11-01T10:00:00.000Z', @updated_at, @device_id, ?)`,
  ).run(id, `native-${id}`, `p-${project}`, `/home/u/src/${project}`, machine, STAMP);
}

function addTurn(
  db: BetterSqlite3.Database,
  id: string,
  session: string,
  content: string | null,
  extra: { tool_calls?: string; role?: string; at?: string; content_state?: string } = {},
) {
  db.prepare(
    `insert into turns (id, session_id, role, content, tool_calls, timestamp, content_state, updated_at, device_id, machine_id)
     values (?, ?, ?, ?, ?, ?, ?, @updated_at, @device_id, 'machine-a')`,
  ).run(
    id,
    session,
    extra.role ?? 'user',
    content,
    extra.tool_calls ?? null,
    extra.at ?? '2026-11-01T09:30:00.000Z',
    extra.content_state ?? null,
    STAMP,
  );
}

const find = (text: string, options = {}) => searchTurns(database, toMatchQuery(text)!, options);
const ids = (text: string, options = {}) =>
  find(text, options)
    .hits.map((h) => h.turn_id)
    .sort();

/**
 * FTS5's own check of the index; `against` the turns too when every turn is live and plain (the check expects
 * every row of the content table to be indexed).
 */
function integrityCheck(against: 0 | 1 = 1) {
  database.sqlite.exec(`insert into turn_search (turn_search, rank) values ('integrity-check', ${against})`);
}

/** Writes rows the way an import does: in its group transaction, indexed when the group commits. */
function imported(write: (db: BetterSqlite3.Database) => void) {
  const run = new TranscriptImport(database.sqlite, {
    deviceId: 'd',
    machineId: 'machine-a',
    now: STAMP.updated_at,
  });
  run.beginGroup();
  write(database.sqlite);
  expect(searchStatus(database.sqlite).pendingTurns).toBeGreaterThan(0);
  run.finish();
  expect(searchStatus(database.sqlite).pendingTurns).toBe(0);
}

describe('toMatchQuery', () => {
  it('quotes words, keeps phrases, prefixes and OR, and drops punctuation-only words', () => {
    expect(toMatchQuery('fix migration')).toBe('"fix" "migration"');
    expect(toMatchQuery('"fix the migration" api')).toBe('"fix the migration" "api"');
    expect(toMatchQuery('migrat* OR schema')).toBe('"migrat"* OR "schema"');
    expect(toMatchQuery('c++ foo-bar "quote"d')).toBe('"c++" "foo-bar" "quote" "d"');
    expect(toMatchQuery('-- * ""')).toBeNull();
  });
});

describe('the search index', () => {
  it('finds imported turns by word, phrase and prefix, ranked, with the match marked in the snippet', () => {
    imported((db) => {
      addSession(db, 's-1', 'api');
      addSession(db, 's-2', 'web', 'machine-b');
      addTurn(db, 't-1', 's-1', 'please fix the migration of the users table');
      addTurn(db, 't-2', 's-1', 'the migration ran twice; migration again, migration everywhere', {
        role: 'assistant',
      });
      addTurn(db, 't-3', 's-2', 'the progress bar flickers on narrow terminals');
      addTurn(db, 't-4', 's-2', null, {
        role: 'assistant',
        tool_calls: JSON.stringify([
          { id: 'toolu_1', name: 'Bash', input: { command: 'cargo test --workspace' } },
        ]),
      });
    });
    expect(ids('migration')).toEqual(['t-1', 't-2']);
    expect(find('migration').hits[0]!.turn_id).toBe('t-2'); // three occurrences rank first
    expect(ids('"fix the migration"')).toEqual(['t-1']);
    expect(ids('"the migration fix"')).toEqual([]);
    expect(ids('flick*')).toEqual(['t-3']);
    expect(ids('migration OR flickers')).toEqual(['t-1', 't-2', 't-3']);
    const hit = find('flickers').hits[0]!;
    expect(hit.snippet.slice(hit.matches[0]![0], hit.matches[0]![1])).toBe('flickers');
    expect(hit).toMatchObject({ session_native_id: 'native-s-2', machine_name: 'desktop', field: 'content' });
    const tool = find('cargo test').hits[0]!;
    expect(tool).toMatchObject({ turn_id: 't-4', field: 'tool_calls' });
    expect(tool.snippet).toContain('Bash command: cargo test');
    expect(tool.snippet).not.toContain('toolu_1');
    expect(find('migration')).toMatchObject({ total: 2, sessions: 1, locked_sessions: 0 });
    // Filters: project (name or part of the path), machine (name), time.
    expect(ids('the', { project: 'web' })).toEqual(['t-3']);
    expect(ids('the', { project: '/home/u/src/api' })).toEqual(['t-1', 't-2']);
    expect(ids('the', { machine: 'laptop' })).toEqual(['t-1', 't-2']);
    expect(ids('the', { since: '2026-11-02T00:00:00.000Z' })).toEqual([]);
    integrityCheck();
  });

  it('follows changed text, tombstones and deletions within the writing transaction', () => {
    imported((db) => {
      addSession(db, 's-1', 'api');
      addTurn(db, 't-1', 's-1', 'first words about kysely');
      addTurn(db, 't-2', 's-1', 'something about vitest');
      // Changed before the group commits: indexed once, with the last text.
      db.prepare(`update turns set content = 'second words about drizzle' where id = 't-1'`).run();
    });
    expect(ids('kysely')).toEqual([]);
    expect(ids('drizzle')).toEqual(['t-1']);
    database.sqlite.prepare(`update turns set content = 'third words about prisma' where id = 't-1'`).run();
    expect(ids('drizzle')).toEqual([]);
    expect(searchStatus(database.sqlite).pendingTurns).toBe(1);
    database.sqlite.prepare(`update turns set deleted_at = @updated_at where id = 't-2'`).run(STAMP);
    expect(ids('vitest')).toEqual([]);
    database.sqlite.prepare(`delete from turns where id = 't-1'`).run();
    expect(searchStatus(database.sqlite).pendingTurns).toBe(0);
    expect(ids('prisma')).toEqual([]);
    integrityCheck(0);
    // Without the tombstone, every turn is indexed again and the index equals its content.
    database.sqlite.prepare(`update turns set deleted_at = null where id = 't-2'`).run();
    database.sqlite.transaction(() => flushSearchIndex(database.sqlite))();
    expect(ids('vitest')).toEqual(['t-2']);
    integrityCheck(1);
  });

  it('indexes pulled turns in the pull transaction, and leaves locked text out, counting its sessions', async () => {
    addSession(database.sqlite, 's-1', 'api');
    const store = new SqliteSyncStore(database, { deviceId: 'device-a', machineId: 'machine-a' });
    const record = (id: string, content: string, contentState: string | null, seq: number) => ({
      table: 'turns',
      id,
      version: 1,
      updatedAt: STAMP.updated_at,
      deletedAt: null,
      deviceId: 'device-b',
      changeSeq: seq,
      payload: {
        session_id: 's-1',
        role: 'assistant',
        content,
        timestamp: '2026-11-01T09:40:00.000Z',
        machine_id: 'machine-b',
        content_state: contentState,
      },
    });
    await store.applyServerRecords([
      record('t-pulled', 'pulled from the other machine: pagination cursor', null, 1),
      record('t-locked', 'agentlogs-enc-v1.secretlookingciphertext', '{"content":"encrypted"}', 2),
    ]);
    expect(searchStatus(database.sqlite)).toMatchObject({ pendingTurns: 0, lockedSessions: 1, turns: 2 });
    expect(ids('pagination')).toEqual(['t-pulled']);
    expect(ids('secretlookingciphertext')).toEqual([]);
    expect(find('pagination').locked_sessions).toBe(1);
    expect(find('pagination', { project: 'elsewhere' }).locked_sessions).toBe(0);
    expect(searchStatus(database.sqlite).indexBytes).toBeGreaterThan(0);
  });

  it('is built by the migration for a database written before it', async () => {
    const path = `${dir}/older.db`;
    const db = new BetterSqlite3(path);
    expect(runMigrations(db, { targetVersion: 19 }).toVersion).toBe(19);
    addSession(db, 's-1', 'api');
    addTurn(db, 't-1', 's-1', 'written before the search index existed');
    addTurn(db, 't-2', 's-1', 'a tombstoned turn existed too');
    db.prepare(`update turns set deleted_at = @updated_at where id = 't-2'`).run(STAMP);
    db.close();
    const upgraded = openLocalDatabase({ path });
    try {
      expect(upgraded.migration.steps.map((s) => s.version)).toContain(21);
      const hits = searchTurns(upgraded, toMatchQuery('existed')!).hits.map((h) => h.turn_id);
      expect(hits).toEqual(['t-1']);
    } finally {
      await upgraded.close();
    }
  });
});

describe('the search index built in slices (a first import)', () => {
  it('each slice, in a transaction of its own, takes its turns off the queue; a writer in between indexes the rest once', () => {
    const db = database.sqlite;
    addSession(db, 's1', 'alpha');
    for (let i = 0; i < 10; i++) addTurn(db, `t${i}`, 's1', `sliced marker number${i}`);
    expect(pendingSearchTurns(db)).toBe(10);
    const queued: number[] = [];
    const indexed = flushSearchIndexInSlices(db, 4, (index) => {
      const n = db.transaction(index).immediate();
      queued.push(pendingSearchTurns(db));
      // Another writer between the first two slices indexes what is still queued before it commits.
      if (queued.length === 1) db.transaction(() => flushSearchIndex(db)).immediate();
      return n;
    });
    // 10 turns in slices of 4: the first slice indexed 4, the writer the other 6, the last two slices none.
    expect(queued).toEqual([6, 0, 0]);
    expect(indexed).toBe(4);
    expect(ids('marker')).toHaveLength(10);
    expect(ids('number7')).toEqual(['t7']);
    integrityCheck();
  });
});

describe('session views', () => {
  it('lists sessions newest first with filters and totals, finds them by prefix, and pages their turns', () => {
    addSession(database.sqlite, 's-1', 'api');
    addSession(database.sqlite, 's-2', 'web', 'machine-b');
    database.sqlite
      .prepare(`update sessions set started_at = '2026-11-02T09:00:00.000Z' where id = 's-2'`)
      .run();
    for (let i = 0; i < 250; i++) {
      addTurn(
        database.sqlite,
        `t-${String(i).padStart(3, '0')}`,
        's-1',
        i === 0 ? 'the first prompt' : `turn ${i}`,
        {
          role: i % 2 === 0 ? 'user' : 'assistant',
          at: new Date(Date.parse('2026-11-01T09:00:00.000Z') + i * 1000).toISOString(),
        },
      );
    }
    database.sqlite
      .prepare(`update turns set input_tokens = 10, output_tokens = 5 where session_id = 's-1'`)
      .run();
    const all = listSessionViews(database);
    expect(all.total).toBe(2);
    expect(all.sessions.map((s) => s.id)).toEqual(['s-2', 's-1']);
    expect(all.sessions[1]).toMatchObject({
      title: 'the first prompt',
      turns: 250,
      tokens: 250 * 15,
      machine_name: 'laptop',
      project_path: '/home/u/src/api',
    });
    expect(listSessionViews(database, { machine: 'desktop' }).sessions.map((s) => s.id)).toEqual(['s-2']);
    expect(
      listSessionViews(database, { until: '2026-11-02T00:00:00.000Z' }).sessions.map((s) => s.id),
    ).toEqual(['s-1']);
    expect(listSessionViews(database, { limit: 1 })).toMatchObject({ total: 2, sessions: [{ id: 's-2' }] });
    expect(findSessionIds(database, 'native-s-1')).toEqual(['s-1']);
    expect(findSessionIds(database, 'native-s')).toHaveLength(2);
    expect(getSessionView(database, 's-1')?.turns).toBe(250);
    const page = listSessionTurns(database, 's-1', { offset: 200, limit: 100 });
    expect(page.total).toBe(250);
    expect(page.turns).toHaveLength(50);
    expect(page.turns[0]!.id).toBe('t-200');
  });
});
