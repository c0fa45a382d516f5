import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentlogsUuid,
  DATABASE_FILE_NAME,
  isLocalStoreError,
  LATEST_SCHEMA_VERSION,
  type LocalStoreError,
  MIGRATIONS,
  type Migration,
  MigrationFailedError,
  openLocalDatabase,
  readSchemaVersion,
  runMigrations,
  SCHEMA_VERSION,
  SchemaTooNewError,
} from '../src/index.js';
import { copyFixture, LEGACY_FIXTURES, pick, readAllRows, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

function columns(db: BetterSqlite3.Database, table: string): string[] {
  return (db.prepare('select name from pragma_table_info(?)').all(table) as { name: string }[]).map(
    (r) => r.name,
  );
}

function indexes(db: BetterSqlite3.Database): string[] {
  return (
    db.prepare("select name from sqlite_master where type = 'index' and name like 'idx_%'").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
}

const ENVELOPE = ['id', 'version', 'updated_at', 'deleted_at', 'device_id', 'machine_id', 'synced_version'];

describe('a new database', () => {
  it('is created at <dir>/agentlogs.db at the latest version, in WAL mode with foreign keys and busy timeout', async () => {
    const store = openLocalDatabase({ dir: join(dir, 'data') });
    try {
      expect(store.path).toBe(join(dir, 'data', DATABASE_FILE_NAME));
      expect(existsSync(store.path)).toBe(true);
      expect(readSchemaVersion(store.sqlite)).toBe(LATEST_SCHEMA_VERSION);
      expect(store.migration.fromVersion).toBe(0);
      expect(store.migration.toVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(store.migration.steps.map((s) => s.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(store.migration.steps.every((s) => s.status === 'applied')).toBe(true);
      expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(store.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      // Every version is recorded; MAX is the version.
      const versions = store.sqlite.prepare('select version from schema_version order by version').all();
      expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      await store.close();
    }
  });

  it('has the envelope on every synced table and the payload columns of docs/data-model.md', async () => {
    const store = openLocalDatabase({ dir });
    try {
      const { sqlite } = store;
      for (const table of ['machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals']) {
        expect(columns(sqlite, table)).toEqual(expect.arrayContaining(ENVELOPE));
      }
      expect(columns(sqlite, 'machines')).toEqual(
        expect.arrayContaining(['name', 'hostname', 'platform', 'last_seen_at']),
      );
      expect(columns(sqlite, 'projects')).toEqual(expect.arrayContaining(['path', 'name']));
      expect(columns(sqlite, 'sessions')).toEqual(
        expect.arrayContaining([
          'source',
          'native_id',
          'project_id',
          'cwd',
          'started_at',
          'ended_at',
          'title',
          'commit_id',
        ]),
      );
      expect(columns(sqlite, 'cognitive_commits')).toEqual(
        expect.arrayContaining([
          'session_id',
          'project_id',
          'project_name',
          'git_hash',
          'closed_by',
          'hidden',
          'title',
          'source',
        ]),
      );
      expect(columns(sqlite, 'turns')).toEqual(
        expect.arrayContaining([
          'session_id',
          'commit_id',
          'role',
          'content',
          'timestamp',
          'tool_calls',
          'model',
          'message_id',
          'request_id',
          'is_sidechain',
          'agent_id',
          'cwd',
          'input_tokens',
          'output_tokens',
          'cache_creation_tokens',
          'cache_creation_1h_tokens',
          'cache_read_tokens',
          'reasoning_tokens',
          'cost_usd',
          'speed',
        ]),
      );
      expect(columns(sqlite, 'import_files')).toEqual(
        expect.arrayContaining([
          'path',
          'source',
          'size',
          'mtime_ms',
          'byte_offset',
          'head_hash',
          'state',
          'imported_at',
        ]),
      );
      expect(columns(sqlite, 'sync_state')).toEqual(['key', 'value']);
      expect(columns(sqlite, 'dead_letters')).toEqual([
        'table_name',
        'id',
        'version',
        'code',
        'message',
        'at',
      ]);
      expect(indexes(sqlite)).toEqual(
        expect.arrayContaining([
          'idx_turns_usage',
          'idx_turns_session',
          'idx_turns_commit',
          'idx_turns_pending',
        ]),
      );
      // Each index on turns costs every insert: the usage index replaces the one on (message_id, request_id).
      for (const gone of ['idx_turns_message', 'idx_turns_timestamp', 'idx_turns_sync_status'])
        expect(indexes(sqlite)).not.toContain(gone);
    } finally {
      await store.close();
    }
  });

  it('uses the turn indexes for lookups by message key, session, commit and pending version', async () => {
    const store = openLocalDatabase({ dir });
    try {
      const plan = (sql: string) =>
        (store.sqlite.prepare(`explain query plan ${sql}`).all() as { detail: string }[])
          .map((r) => r.detail)
          .join('\n');
      expect(plan("select id from turns where message_id = 'm' and request_id = 'r'")).toContain(
        'idx_turns_usage',
      );
      expect(
        plan(
          "select * from turns where session_id = 's' and message_id = 'm' and request_id is 'r' and deleted_at is null order by timestamp limit 1",
        ),
      ).toMatch(/idx_turns_usage|idx_turns_session/);
      expect(plan("select id from turns where session_id = 's'")).toContain('idx_turns_session');
      expect(plan("select id from turns where commit_id = 'c'")).toContain('idx_turns_commit');
      expect(
        plan(
          'select session_id, timestamp, model, message_id, request_id, is_sidechain, speed, input_tokens, output_tokens, cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, machine_id from turns where deleted_at is null',
        ),
      ).toContain('COVERING INDEX idx_turns_usage');
      expect(plan('select id from turns where version > synced_version')).toContain('idx_turns_pending');
    } finally {
      await store.close();
    }
  });

  it('opens again without running any step', async () => {
    await openLocalDatabase({ dir }).close();
    const again = openLocalDatabase({ dir });
    try {
      expect(again.migration.steps).toEqual([]);
      expect(again.migration.fromVersion).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      await again.close();
    }
  });
});

const V5_ORIGINAL_COLUMNS = {
  cognitive_commits: [
    'id',
    'git_hash',
    'started_at',
    'closed_at',
    'closed_by',
    'parallel',
    'files_read',
    'files_changed',
    'published',
    'hidden',
    'display_order',
    'title',
    'project_name',
    'source',
  ],
  sessions: ['id', 'commit_id', 'started_at', 'ended_at'],
  turns: ['id', 'session_id', 'role', 'content', 'timestamp', 'tool_calls', 'triggers_visual', 'model'],
  visuals: ['id', 'commit_id', 'type', 'path', 'captured_at', 'caption'],
  daemon_state: ['key', 'value'],
} as const;

/**
 * Asserts that every row of `before` is in `after` with the same values in the original columns, reading
 * ids and references through `legacy_id` (rows of earlier releases take deterministic ids on upgrade).
 */
function expectRowsKept(
  before: Record<string, Record<string, unknown>[]>,
  after: Record<string, Record<string, unknown>[]>,
  columnsOf: Record<string, readonly string[]>,
) {
  const legacyOf = new Map<unknown, unknown>();
  for (const table of ['sessions', 'cognitive_commits', 'turns']) {
    for (const row of after[table]!) if (row.legacy_id) legacyOf.set(row.id, row.legacy_id);
  }
  const asBefore = (row: Record<string, unknown>) => {
    const copy = { ...row };
    for (const column of ['id', 'session_id', 'commit_id']) {
      if (legacyOf.has(copy[column])) copy[column] = legacyOf.get(copy[column]);
    }
    return copy;
  };
  for (const [table, cols] of Object.entries(columnsOf)) {
    const original = before[table]!;
    expect(original.length).toBeGreaterThan(0);
    expect(after[table]!.map((row) => pick(asBefore(row), cols))).toEqual(
      original.map((row) => pick(row, cols)),
    );
  }
}

describe('upgrading the v5 database of an earlier release', () => {
  it('reaches the latest version and keeps every row and value', async () => {
    const path = copyFixture('agentlogs-v5.db', dir);
    const before = readAllRows(join(LEGACY_FIXTURES, 'agentlogs-v5.db'));
    const store = openLocalDatabase({ path });
    try {
      expect(store.migration.fromVersion).toBe(5);
      expect(store.migration.toVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(store.migration.steps[0]!.version).toBe(6);
      expect(store.migration.steps.every((s) => s.status === 'applied')).toBe(true);
    } finally {
      await store.close();
    }
    const after = readAllRows(path);
    expectRowsKept(before, after, V5_ORIGINAL_COLUMNS);

    // The values themselves, as the earlier release wrote them.
    const commits = after.cognitive_commits!;
    expect(commits).toHaveLength(2);
    expect(commits[0]).toMatchObject({
      legacy_id: '0b9d1c7e-5f1a-4c3e-9a52-3f7e2b1d8c01',
      git_hash: '3f2a9c1',
      closed_by: 'git_commit',
      closed_at: '2026-01-20T09:42:10.512Z',
      files_changed: '["src/a.ts", "README.md"]',
      published: 1,
      hidden: 0,
      title: 'Add parser',
      project_name: '/home/user/proj',
      source: 'claude_code',
    });
    expect(commits[1]).toMatchObject({
      closed_by: 'session_end',
      git_hash: null,
      hidden: 1,
      display_order: 1,
    });
    const turns = after.turns!;
    expect(turns).toHaveLength(4);
    expect(JSON.parse(turns[1]!.tool_calls as string)[0].result).toBe('[main 3f2a9c1] Add parser');
    expect(turns.map((t) => t.model)).toEqual([
      null,
      'claude-opus-4-5-20251101',
      null,
      'claude-sonnet-4-5-20250929',
    ]);
    expect(after.visuals).toHaveLength(1);
    expect(after.visuals![0]).toMatchObject({
      type: 'screenshot',
      path: 'screenshots/5c0ffee0.png',
      caption: 'home page',
    });
    expect(after.daemon_state).toContainEqual({
      key: 'file_pos:/home/user/.claude/projects/-home-user-proj/4d5611e5-241a-462a-8d15-5122611a9569.jsonl',
      value: '18234',
    });
    expect(after.sessions).toHaveLength(1);

    // What v6 and v11 add: the legacy sync columns at their defaults, rows pending for the new sync,
    // a version time taken from the row's own timestamps, the links the old schema implied.
    for (const table of ['cognitive_commits', 'sessions', 'turns', 'visuals']) {
      for (const row of after[table]!) {
        expect(row).toMatchObject({
          version: 1,
          synced_version: 0,
          deleted_at: null,
          sync_status: 'pending',
        });
        expect(typeof row.updated_at).toBe('string');
      }
    }
    expect(commits[0]!.updated_at).toBe('2026-01-20T09:42:10.512Z');
    expect(turns[0]!.updated_at).toBe('2026-01-20T09:00:00.000Z');
    expect(after.sessions![0]).toMatchObject({
      native_id: '4d5611e5-241a-462a-8d15-5122611a9569',
      source: 'claude_code',
    });
    // Rows take the ids the importer derives for the same transcript lines (values computed with the
    // importer's UUIDv5 of docs/data-model.md); the earlier ids stay in legacy_id.
    const session = '44e50171-1030-5eac-959e-8dead57724d9'; // claude:session:4d5611e5-…
    const firstTurn = '1b76b364-bfc1-5527-9aa5-c33ce082de67'; // claude:turn:4d5611e5-…:a1000000-…-000000000001
    const firstCommit = 'e148836c-e30c-5bf5-9054-868d3ab86e35'; // commit:<session>:<first turn>
    expect(after.sessions![0]).toMatchObject({
      id: session,
      legacy_id: '4d5611e5-241a-462a-8d15-5122611a9569',
    });
    expect(turns[0]).toMatchObject({ id: firstTurn, legacy_id: 'a1000000-0000-4000-8000-000000000001' });
    expect(commits[0]).toMatchObject({ id: firstCommit, legacy_id: '0b9d1c7e-5f1a-4c3e-9a52-3f7e2b1d8c01' });
    expect(commits.map((c) => c.session_id)).toEqual([session, session]);
    expect(turns.map((t) => t.session_id)).toEqual([session, session, session, session]);
    expect(turns.map((t) => t.commit_id)).toEqual([firstCommit, firstCommit, commits[1]!.id, commits[1]!.id]);
    expect(commits[1]!.id).not.toBe('7e2f4a90-1c3b-4d5e-8f60-9a1b2c3d4e02');
    expect(after.sessions![0]!.commit_id).toBe(commits[1]!.id);
    expect(after.visuals![0]!.commit_id).toBe(firstCommit);
    expect(agentlogsUuid('claude:session:4d5611e5-241a-462a-8d15-5122611a9569')).toBe(session);
    // The project path earlier releases kept in project_name becomes the importer's project row.
    const project = '7cd3b4cd-7082-5045-b7a1-1ec353ab32e7'; // project:/home/user/proj
    expect(after.projects).toEqual([
      expect.objectContaining({
        id: project,
        path: '/home/user/proj',
        name: 'proj',
        updated_at: '2026-01-20T09:00:00.000Z',
      }),
    ]);
    expect(after.sessions![0]).toMatchObject({ project_id: project, cwd: '/home/user/proj' });
    expect(commits.map((c) => c.project_id)).toEqual([project, project]);

    // Importing the same transcript afterwards lands on these rows instead of adding new ones.
    const reopened = openLocalDatabase({ path });
    try {
      const insertTurn = reopened.sqlite.prepare(
        `insert into turns (id, session_id, role, content, timestamp, input_tokens) values (?, ?, 'user', 'Add a JSONL parser', '2026-01-20T09:00:00.000Z', 12)
         on conflict (id) do update set input_tokens = excluded.input_tokens`,
      );
      insertTurn.run(
        agentlogsUuid(
          'claude:turn:4d5611e5-241a-462a-8d15-5122611a9569:a1000000-0000-4000-8000-000000000001',
        ),
        session,
      );
      expect(
        reopened.sqlite.prepare('select count(*) as n, sum(input_tokens) as input from turns').get(),
      ).toEqual({
        n: 4,
        input: 12,
      });
    } finally {
      await reopened.close();
    }
    expect(turns.every((t) => t.input_tokens === 0 && t.cost_usd === null)).toBe(true);
  });

  it('never writes to the shared fixture (it is copied first)', () => {
    const original = statSync(join(LEGACY_FIXTURES, 'agentlogs-v5.db'));
    expect(readAllRows(join(LEGACY_FIXTURES, 'agentlogs-v5.db')).schema_version).toEqual([{ version: 5 }]);
    expect(original.size).toBe(73728);
  });
});

describe('upgrading the {5, 6} database an earlier release upgraded itself', () => {
  it('reads the version as 6 (MAX), does not re-run v6, and keeps every row and value', async () => {
    const path = copyFixture('agentlogs-v6-upgraded-from-v5.db', dir);
    const before = readAllRows(join(LEGACY_FIXTURES, 'agentlogs-v6-upgraded-from-v5.db'));
    expect(before.schema_version).toEqual([{ version: 5 }, { version: 6 }]);
    const store = openLocalDatabase({ path });
    try {
      expect(store.migration.fromVersion).toBe(6);
      expect(store.migration.steps.map((s) => s.version)).toEqual(
        MIGRATIONS.filter((m) => m.version > 6).map((m) => m.version),
      );
      expect(store.migration.failure).toBeUndefined();
    } finally {
      await store.close();
    }
    const after = readAllRows(path);
    expectRowsKept(before, after, {
      ...V5_ORIGINAL_COLUMNS,
      cognitive_commits: [
        ...V5_ORIGINAL_COLUMNS.cognitive_commits,
        'cloud_id',
        'cloud_version',
        'local_version',
        'last_synced_at',
      ],
      visuals: [...V5_ORIGINAL_COLUMNS.visuals, 'cloud_id', 'cloud_version', 'local_version', 'cloud_url'],
    });
    const [synced, conflicted] = after.cognitive_commits!;
    expect(synced).toMatchObject({
      cloud_id: '0b9d1c7e-5f1a-4c3e-9a52-3f7e2b1d8c01',
      cloud_version: 1,
      last_synced_at: '2026-01-21T08:00:00.000Z',
    });
    // The earlier cloud's state does not describe this project's backend: every row is pending for it,
    // and sync_status says so (docs/decisions/0011-pending-marker-and-legacy-sync-columns.md).
    expect(before.cognitive_commits!.map((c) => c.sync_status)).toEqual(['synced', 'conflict']);
    expect([synced!.sync_status, conflicted!.sync_status]).toEqual(['pending', 'pending']);
    expect(after.schema_version!.map((r) => r.version)).toEqual([
      5,
      ...MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version),
    ]);
  });
});

/** The v1..v5 DDL as the earlier release ran it (schema-v1-v6.md), independent of this package's migrations. */
const LEGACY_V1_TO_V5 = `
create table if not exists cognitive_commits (id text primary key, git_hash text, started_at text not null, closed_at text not null,
  closed_by text not null, parallel integer default 0, files_read text, files_changed text);
create table if not exists sessions (id text primary key, commit_id text references cognitive_commits(id), started_at text not null, ended_at text not null);
create table if not exists turns (id text primary key, session_id text references sessions(id), role text not null, content text,
  timestamp text not null, tool_calls text, triggers_visual integer default 0);
create table if not exists visuals (id text primary key, commit_id text references cognitive_commits(id), type text not null,
  path text not null, captured_at text not null, caption text);
create table if not exists daemon_state (key text primary key, value text);
create table if not exists schema_version (version integer primary key);
create index if not exists idx_sessions_commit on sessions(commit_id);
create index if not exists idx_turns_session on turns(session_id);
create index if not exists idx_visuals_commit on visuals(commit_id);
create index if not exists idx_commits_git_hash on cognitive_commits(git_hash);
create index if not exists idx_commits_started on cognitive_commits(started_at);
alter table cognitive_commits add column published integer default 0;
alter table cognitive_commits add column hidden integer default 0;
alter table cognitive_commits add column display_order integer default 0;
alter table cognitive_commits add column title text;
alter table cognitive_commits add column project_name text;
create index if not exists idx_commits_project on cognitive_commits(project_name);
alter table turns add column model text;
alter table cognitive_commits add column source text default 'claude_code';
insert or replace into schema_version (version) values (5);
`;

function buildV5(path: string) {
  const db = new BetterSqlite3(path);
  db.exec(LEGACY_V1_TO_V5);
  const commit = db.prepare(
    `insert into cognitive_commits (id, git_hash, started_at, closed_at, closed_by, parallel, files_read, files_changed,
       published, hidden, display_order, title, project_name, source) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  commit.run(
    'c-1',
    'abc1234',
    '2026-02-01T10:00:00.000Z',
    '2026-02-01T10:30:00.000Z',
    'git_commit',
    0,
    '["a.ts"]',
    '["a.ts"]',
    0,
    0,
    0,
    'First',
    '/w/p',
    'claude_code',
  );
  commit.run(
    'c-2',
    null,
    '2026-02-01T10:30:01.000Z',
    '2026-02-01T11:00:00.000Z',
    'session_end',
    1,
    '[]',
    '[]',
    1,
    1,
    2,
    null,
    '/w/p',
    'claude_code',
  );
  db.prepare('insert into sessions (id, commit_id, started_at, ended_at) values (?,?,?,?)').run(
    's-1',
    'c-2',
    '2026-02-01T10:00:00.000Z',
    '2026-02-01T11:00:00.000Z',
  );
  const turn = db.prepare(
    'insert into turns (id, session_id, role, content, timestamp, tool_calls, triggers_visual, model) values (?,?,?,?,?,?,?,?)',
  );
  turn.run('t-1', 's-1', 'user', 'héllo — unicode ✓', '2026-02-01T10:00:00.000Z', null, 0, null);
  turn.run(
    't-2',
    's-1',
    'assistant',
    'ok',
    '2026-02-01T10:00:02.000Z',
    '[{"id":"x","name":"Read","input":{}}]',
    1,
    'claude-opus-4-5',
  );
  turn.run('t-3', 's-1', 'user', '', '2026-02-01T10:45:00.000Z', null, 0, null);
  db.prepare(
    'insert into visuals (id, commit_id, type, path, captured_at, caption) values (?,?,?,?,?,?)',
  ).run('v-1', 'c-1', 'screenshot', 'screenshots/v-1.png', '2026-02-01T10:30:00.000Z', null);
  db.prepare('insert into daemon_state (key, value) values (?, ?)').run(
    'last_activity',
    '2026-02-01T11:00:00.000Z',
  );
  db.close();
}

describe('upgrading a v5 database built from the v1..v5 DDL', () => {
  it('keeps every row and value and adds the newer columns', async () => {
    const path = join(dir, 'data.db');
    buildV5(path);
    const before = readAllRows(path);
    const store = openLocalDatabase({ path });
    try {
      expect(store.migration.fromVersion).toBe(5);
      expect(store.migration.toVersion).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      await store.close();
    }
    const after = readAllRows(path);
    expectRowsKept(before, after, V5_ORIGINAL_COLUMNS);
    expect(after.turns![0]!.content).toBe('héllo — unicode ✓');
    expect(after.turns![2]!.content).toBe('');
    expect(after.cognitive_commits![1]).toMatchObject({
      parallel: 1,
      published: 1,
      hidden: 1,
      display_order: 2,
    });
    const commitIds = after.cognitive_commits!.map((c) => [c.legacy_id, c.id]);
    const byLegacy = Object.fromEntries(commitIds);
    expect(after.turns!.map((t) => t.commit_id)).toEqual([byLegacy['c-1'], byLegacy['c-1'], byLegacy['c-2']]);
    expect(after.turns!.map((t) => t.legacy_id)).toEqual(['t-1', 't-2', 't-3']);
    expect(after.visuals![0]!.commit_id).toBe(byLegacy['c-1']);
    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.pragma('foreign_key_check')).toEqual([]);
    check.close();
    expect(after.cognitive_commits!.map((c) => c.prompt_count)).toEqual([0, 0]);
    expect(after.machines).toEqual([]);
    expect(after.projects!.map((p) => [p.path, p.name])).toEqual([['/w/p', 'p']]);
    expect(after.sessions![0]!.cwd).toBe('/w/p');
  });
});

describe('a database in an unexpected state', () => {
  it('records, without re-running, a step whose columns already exist', async () => {
    // An earlier release that crashed after adding the v6 columns but before recording version 6.
    const path = copyFixture('agentlogs-v6-upgraded-from-v5.db', dir);
    const raw = new BetterSqlite3(path);
    raw.exec('delete from schema_version where version = 6');
    raw.close();
    const store = openLocalDatabase({ path });
    try {
      expect(store.migration.fromVersion).toBe(5);
      expect(store.migration.steps[0]).toMatchObject({ version: 6, status: 'recorded' });
      expect(store.migration.toVersion).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      await store.close();
    }
  });

  it('refuses a database newer than the code, with a typed error, and leaves it unchanged', async () => {
    const created = openLocalDatabase({ dir });
    const path = created.path;
    await created.close();
    const raw = new BetterSqlite3(path);
    raw.exec(`create table if not exists schema_version (version integer primary key);
      insert into schema_version (version) values (${LATEST_SCHEMA_VERSION + 1})`);
    raw.close();
    const before = readAllRows(path);
    let caught: unknown;
    try {
      openLocalDatabase({ path });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SchemaTooNewError);
    expect(isLocalStoreError(caught)).toBe(true);
    expect((caught as SchemaTooNewError).code).toBe('SCHEMA_TOO_NEW');
    expect((caught as SchemaTooNewError).databaseVersion).toBe(LATEST_SCHEMA_VERSION + 1);
    expect((caught as Error).message).toMatch(/newer than this agentlogs supports.*upgrade agentlogs/);
    expect(readAllRows(path)).toEqual(before);
  });

  it('refuses a file that is not a database, or a damaged one, with a typed error and leaves it as it was', () => {
    const samples = [
      Buffer.alloc(8192, 42),
      Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 7)]),
    ];
    for (const [i, content] of samples.entries()) {
      const path = join(dir, `damaged-${i}.db`);
      writeFileSync(path, content);
      let caught: unknown;
      try {
        openLocalDatabase({ path });
      } catch (error) {
        caught = error;
      }
      expect(isLocalStoreError(caught)).toBe(true);
      expect((caught as LocalStoreError).code).toBe('DATABASE_DAMAGED');
      expect((caught as Error).message).toContain(
        `The database ${path} is damaged or is not an agentlogs database`,
      );
      expect(readFileSync(path).equals(content)).toBe(true);
    }
  });

  it('stops at a failing step, rolls it back, and stays at the last good version', () => {
    const path = join(dir, 'fail.db');
    const db = new BetterSqlite3(path);
    const failing: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'a step that fails halfway',
      up(c) {
        c.addColumn('turns', 'half_done', 'text');
        c.db.exec('insert into no_such_table values (1)');
      },
    };
    const never: Migration = { version: LATEST_SCHEMA_VERSION + 2, name: 'after the failure', up() {} };
    const report = runMigrations(db, { migrations: [...MIGRATIONS, failing, never] });
    expect(report.toVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(report.failure).toMatchObject({ version: LATEST_SCHEMA_VERSION + 1 });
    expect(report.failure!.message).toMatch(/no such table/);
    expect(report.steps.at(-1)).toMatchObject({ version: LATEST_SCHEMA_VERSION + 1, status: 'failed' });
    expect(report.steps.some((s) => s.version === LATEST_SCHEMA_VERSION + 2)).toBe(false);
    expect(readSchemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(columns(db, 'turns')).not.toContain('half_done');
    db.close();
  });

  it('reports a failed step as MigrationFailedError when opening', async () => {
    const path = join(dir, 'broken.db');
    const raw = new BetterSqlite3(path);
    // A v6 database whose turns table lacks the columns v6 would add is fine; one whose `turns` is a view is not.
    raw.exec(`create table schema_version (version integer primary key); insert into schema_version values (10);
      create table cognitive_commits (id text primary key, started_at text not null, closed_at text not null, closed_by text not null);
      create table sessions (id text primary key, started_at text not null, ended_at text not null);
      create view turns as select 1 as id;
      create table visuals (id text primary key, type text not null, path text not null, captured_at text not null);`);
    raw.close();
    let caught: unknown;
    try {
      openLocalDatabase({ path });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MigrationFailedError);
    expect((caught as MigrationFailedError).code).toBe('MIGRATION_FAILED');
    expect((caught as MigrationFailedError).failedVersion).toBe(11);
    expect((caught as MigrationFailedError).stayedAtVersion).toBe(10);
    const check = new BetterSqlite3(path, { readonly: true });
    expect(readSchemaVersion(check)).toBe(10);
    expect(columns(check, 'sessions')).not.toContain('version');
    check.close();
  });

  it('opens read-only only a database at the latest version', async () => {
    const path = copyFixture('agentlogs-v5.db', dir);
    expect(() => openLocalDatabase({ path, readonly: true })).toThrow(
      expect.objectContaining({ code: 'SCHEMA_NEEDS_UPGRADE' }),
    );
    expect(readAllRows(path).schema_version).toEqual([{ version: 5 }]);
    await openLocalDatabase({ path }).close();
    const reader = openLocalDatabase({ path, readonly: true });
    try {
      expect(await (await reader.kysely()).selectFrom('turns').select('id').execute()).toHaveLength(4);
      expect(() => reader.sqlite.exec("insert into daemon_state values ('k', 'v')")).toThrow(/readonly/);
    } finally {
      await reader.close();
    }
  });

  it('opens a missing legacy path with a clear error instead of creating it', () => {
    expect(() => openLocalDatabase({ path: join(dir, 'nope', 'data.db') })).toThrow(
      /Cannot open the database/,
    );
  });
});

describe('the schema version without the migrations', () => {
  it('SCHEMA_VERSION is the version the migrations end at (bump it with each new migration)', () => {
    expect(SCHEMA_VERSION).toBe(LATEST_SCHEMA_VERSION);
  });
});
