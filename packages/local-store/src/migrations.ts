/**
 * Numbered migrations of the local database, following the agentlogs lineage:
 * v1..v6 exactly as the earlier agentlogs CLI wrote them, v7..v10 as its later releases added them,
 * v11 and on for this project (docs/decisions/0010-local-schema-lineage.md).
 *
 * The version is MAX(version) of `schema_version` (earlier releases left {5, 6} behind after an upgrade).
 * Every step runs in its own IMMEDIATE transaction, skips columns and tables that already exist, and
 * records its version; the runner reports each step and never throws halfway.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { readSchemaVersion } from './database-file.js';
import { agentlogsUuid } from './ids.js';
import { SEARCH_INDEX_BUILD, SEARCH_INDEX_DDL } from './search-index.js';
import { LEGACY_SYNC_TABLES, SYNCED_TABLES } from './tables.js';

/** SQL of the trigger that ignores an INSERT of an id listed in `purged_records` for `table`. */
export function purgedGuardSql(table: string): string {
  return `create trigger if not exists ${table}_keep_purged before insert on ${table}
    when exists (select 1 from purged_records where table_name = '${table}' and id = new.id)
    begin select raise(ignore); end`;
}

type Sqlite = BetterSqlite3.Database;

/** What one step's `up` did, so the report can tell an applied step from one whose columns were already there. */
export interface MigrationContext {
  readonly db: Sqlite;
  /** Adds a column unless the table already has it. Returns true when it was added. */
  addColumn(table: string, column: string, definition: string): boolean;
  /** Runs DDL that is idempotent by itself (CREATE … IF NOT EXISTS) and counts it as a change when it created something. */
  exec(sql: string): void;
  /** The time the migration runs, ISO-8601 UTC. */
  readonly now: string;
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(context: MigrationContext): void;
}

export type MigrationStepStatus = 'applied' | 'recorded' | 'failed';

export interface MigrationStepReport {
  version: number;
  name: string;
  /**
   * `applied`: the step changed the schema. `recorded`: everything it adds was already there (a database whose
   * earlier upgrade ran without recording its version), so only the version was recorded. `failed`: rolled back.
   */
  status: MigrationStepStatus;
  durationMs: number;
  error?: string;
}

export interface MigrationReport {
  /** Version found when the run started (0 for a new file). */
  fromVersion: number;
  /** Version the database is at now (the last good version when a step failed). */
  toVersion: number;
  /** The newest version this code knows. */
  latestVersion: number;
  steps: MigrationStepReport[];
  /** Set when a step failed; the database stays at `toVersion`. */
  failure?: { version: number; name: string; message: string; cause: unknown };
  /** Set when the database is newer than this code; nothing was changed. */
  tooNew?: boolean;
}

const V1_TABLES = `
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
`;

/** Envelope columns every synced table carries (docs/data-model.md), plus the local pending marker. */
const ENVELOPE: ReadonlyArray<readonly [string, string]> = [
  ['version', 'integer not null default 1'],
  ['updated_at', 'text'],
  ['deleted_at', 'text'],
  ['device_id', 'text'],
  ['machine_id', 'text'],
  ['synced_version', 'integer not null default 0'],
];

const TOKEN_COLUMNS = [
  'input_tokens',
  'output_tokens',
  'cache_creation_tokens',
  'cache_creation_1h_tokens',
  'cache_read_tokens',
  'reasoning_tokens',
] as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'base tables: cognitive_commits, sessions, turns, visuals, daemon_state, schema_version',
    up(c) {
      c.exec(V1_TABLES);
    },
  },
  {
    version: 2,
    name: 'cognitive_commits: published, hidden, display_order, title',
    up(c) {
      c.addColumn('cognitive_commits', 'published', 'integer default 0');
      c.addColumn('cognitive_commits', 'hidden', 'integer default 0');
      c.addColumn('cognitive_commits', 'display_order', 'integer default 0');
      c.addColumn('cognitive_commits', 'title', 'text');
    },
  },
  {
    version: 3,
    name: 'cognitive_commits: project_name',
    up(c) {
      c.addColumn('cognitive_commits', 'project_name', 'text');
      c.exec('create index if not exists idx_commits_project on cognitive_commits(project_name)');
    },
  },
  {
    version: 4,
    name: 'turns: model',
    up(c) {
      c.addColumn('turns', 'model', 'text');
    },
  },
  {
    version: 5,
    name: 'cognitive_commits: source',
    up(c) {
      c.addColumn('cognitive_commits', 'source', "text default 'claude_code'");
    },
  },
  {
    version: 6,
    name: 'legacy cloud sync columns (cloud_id, sync_status, cloud_version, local_version)',
    up(c) {
      for (const table of ['cognitive_commits', 'sessions', 'turns', 'visuals']) {
        c.addColumn(table, 'cloud_id', 'text');
        c.addColumn(table, 'sync_status', "text default 'pending'");
        c.addColumn(table, 'cloud_version', 'integer default 0');
        c.addColumn(table, 'local_version', 'integer default 1');
      }
      c.addColumn('cognitive_commits', 'last_synced_at', 'text');
      c.addColumn('visuals', 'cloud_url', 'text');
      c.exec(`
        create index if not exists idx_commits_sync_status on cognitive_commits(sync_status);
        create index if not exists idx_commits_cloud_id on cognitive_commits(cloud_id);
        create index if not exists idx_sessions_sync_status on sessions(sync_status);
        create index if not exists idx_turns_sync_status on turns(sync_status);
        create index if not exists idx_visuals_sync_status on visuals(sync_status);
      `);
    },
  },
  {
    version: 7,
    name: 'cognitive_commits: prompt_count',
    up(c) {
      c.addColumn('cognitive_commits', 'prompt_count', 'integer default 0');
    },
  },
  {
    version: 8,
    name: 'cognitive_commits: public_slug, published_at',
    up(c) {
      c.addColumn('cognitive_commits', 'public_slug', 'text');
      c.addColumn('cognitive_commits', 'published_at', 'text');
      c.exec('create unique index if not exists idx_commits_public_slug on cognitive_commits(public_slug)');
    },
  },
  {
    version: 9,
    name: 'cognitive_commits: rejection_count, approval_count, sentiment_label',
    up(c) {
      c.addColumn('cognitive_commits', 'rejection_count', 'integer default 0');
      c.addColumn('cognitive_commits', 'approval_count', 'integer default 0');
      c.addColumn('cognitive_commits', 'sentiment_label', 'text');
    },
  },
  {
    version: 10,
    name: 'turns: has_rejection, has_approval, is_question, has_code_block, char_count',
    up(c) {
      for (const column of ['has_rejection', 'has_approval', 'is_question', 'has_code_block', 'char_count']) {
        c.addColumn('turns', column, 'integer default 0');
      }
    },
  },
  {
    version: 11,
    name: 'sync envelope on commits, sessions, turns, visuals; session, commit and token columns',
    up(c) {
      for (const table of LEGACY_SYNC_TABLES) {
        for (const [column, definition] of ENVELOPE) c.addColumn(table, column, definition);
      }
      c.addColumn('sessions', 'source', "text default 'claude_code'");
      c.addColumn('sessions', 'native_id', 'text');
      c.addColumn('sessions', 'project_id', 'text');
      c.addColumn('sessions', 'cwd', 'text');
      c.addColumn('sessions', 'title', 'text');
      c.addColumn('cognitive_commits', 'session_id', 'text');
      c.addColumn('cognitive_commits', 'project_id', 'text');
      c.addColumn('turns', 'commit_id', 'text');
      c.addColumn('turns', 'message_id', 'text');
      c.addColumn('turns', 'request_id', 'text');
      c.addColumn('turns', 'is_sidechain', 'integer not null default 0');
      c.addColumn('turns', 'agent_id', 'text');
      c.addColumn('turns', 'cwd', 'text');
      for (const column of TOKEN_COLUMNS) c.addColumn('turns', column, 'integer not null default 0');
      c.addColumn('turns', 'cost_usd', 'real');
      c.addColumn('turns', 'speed', 'text');
      for (const table of ['sessions', 'cognitive_commits', 'turns']) c.addColumn(table, 'legacy_id', 'text');

      // Rows written by earlier releases: a version time from their own timestamps, and the fields the
      // earlier schema implied. The earlier cloud never held these rows for this backend: all are pending.
      const db = c.db;
      db.prepare(
        "update cognitive_commits set updated_at = coalesce(nullif(closed_at, ''), nullif(started_at, ''), ?) where updated_at is null",
      ).run(c.now);
      db.prepare(
        "update sessions set updated_at = coalesce(nullif(ended_at, ''), nullif(started_at, ''), ?) where updated_at is null",
      ).run(c.now);
      db.prepare(
        "update turns set updated_at = coalesce(nullif(timestamp, ''), ?) where updated_at is null",
      ).run(c.now);
      db.prepare(
        "update visuals set updated_at = coalesce(nullif(captured_at, ''), ?) where updated_at is null",
      ).run(c.now);
      db.exec(`
        update sessions set native_id = id where native_id is null and source = 'claude_code';
        update cognitive_commits set session_id = coalesce(
          (select s.id from sessions s where s.commit_id = cognitive_commits.id limit 1),
          (select t.session_id from turns t
             where t.timestamp >= cognitive_commits.started_at and t.timestamp <= cognitive_commits.closed_at
               and t.session_id is not null
             order by t.timestamp limit 1))
        where session_id is null;
        update turns set commit_id = (
          select c.id from cognitive_commits c
           where c.session_id = turns.session_id and turns.timestamp >= c.started_at and turns.timestamp <= c.closed_at
           order by c.started_at limit 1)
        where commit_id is null;
        update cognitive_commits set sync_status = 'pending' where version > synced_version;
        update sessions set sync_status = 'pending' where version > synced_version;
        update turns set sync_status = 'pending' where version > synced_version;
        update visuals set sync_status = 'pending' where version > synced_version;
      `);
      adoptDeterministicIds(db);
    },
  },
  {
    version: 12,
    name: 'machines and projects',
    up(c) {
      const envelope = ENVELOPE.map(([column, definition]) => `${column} ${definition}`).join(', ');
      c.exec(`
        create table if not exists machines (id text primary key, name text, hostname text, platform text,
          last_seen_at text, ${envelope});
        create table if not exists projects (id text primary key, path text, name text, ${envelope});
      `);
      adoptLegacyProjects(c.db, c.now);
    },
  },
  {
    version: 13,
    name: 'import cursors, sync state, dead letters, purged ids',
    up(c) {
      c.exec(`
        create table if not exists import_files (
          path text primary key,
          source text not null,
          size integer not null default 0,
          mtime_ms integer not null default 0,
          byte_offset integer not null default 0,
          line_count integer not null default 0,
          head_hash text,
          session_id text,
          state text,
          malformed_lines integer not null default 0,
          imported_at text
        );
        create table if not exists sync_state (key text primary key, value text);
        create table if not exists dead_letters (
          table_name text not null,
          id text not null,
          version integer not null,
          code text not null,
          message text not null,
          at text not null,
          primary key (table_name, id)
        );
        create table if not exists resync_seen (table_name text not null, id text not null, primary key (table_name, id));
        create table if not exists purged_records (
          table_name text not null,
          id text not null,
          purged_at text not null,
          primary key (table_name, id)
        );
      `);
      // The guard that keeps purged ids out (a trigger per table) is installed when the first id is purged:
      // it would slow every insert of the importer for databases that never need it.
    },
  },
  {
    version: 14,
    name: 'indexes for import, stats and the outbox; legacy sync_status kept coherent',
    up(c) {
      c.exec(`
        create index if not exists idx_turns_message on turns(message_id, request_id);
        create index if not exists idx_turns_timestamp on turns(timestamp);
        create index if not exists idx_turns_commit on turns(commit_id);
        create index if not exists idx_sessions_native on sessions(source, native_id);
        create index if not exists idx_sessions_project on sessions(project_id);
        create index if not exists idx_sessions_started on sessions(started_at);
        create index if not exists idx_commits_session on cognitive_commits(session_id);
        create index if not exists idx_projects_path on projects(path);
      `);
      for (const table of SYNCED_TABLES) {
        c.exec(
          `create index if not exists idx_${table}_pending on ${table}(id) where version > synced_version`,
        );
      }
      for (const table of LEGACY_SYNC_TABLES) {
        c.exec(`
          create trigger if not exists ${table}_sync_status after update of version, synced_version on ${table}
          when new.local_version is not new.version or new.cloud_version is not new.synced_version
            or new.sync_status is not (case when new.version > new.synced_version then 'pending' else 'synced' end)
          begin
            update ${table} set
              sync_status = case when new.version > new.synced_version then 'pending' else 'synced' end,
              local_version = new.version,
              cloud_version = new.synced_version
            where rowid = new.rowid;
          end;
        `);
      }
    },
  },
  {
    version: 15,
    name: 'fewer indexes on turns: the covering usage index serves message lookups; none by time or sync_status',
    up(c) {
      // Every index on turns costs each insert. The usage index (what stats scans instead of the turn rows)
      // starts with (message_id, request_id), so it also serves the importer's lookups by message; nothing
      // filters turns by timestamp or by the legacy sync_status (pending rows have idx_turns_pending).
      c.exec(`
        create index if not exists idx_turns_usage on turns(message_id, request_id, is_sidechain,
          session_id, timestamp, model, speed, input_tokens, output_tokens, cache_creation_tokens,
          cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, machine_id, deleted_at);
        drop index if exists idx_turns_message;
        drop index if exists idx_turns_timestamp;
        drop index if exists idx_turns_sync_status;
      `);
    },
  },
  {
    version: 16,
    name: 'usage rollup: per-session 15-minute usage totals that stats reads instead of every turn',
    up(c) {
      // The rollup is derived data (one row holding it as JSON), rebuilt by stats whenever `valid` is 0. Any
      // write to a turn column that stats reads clears the flag, whoever writes it (import, sync, purge, a
      // migration). The flag is cleared only when set, so an import of many turns writes it once.
      c.exec(`
        create table if not exists usage_rollup (
          id integer primary key check (id = 1),
          valid integer not null default 0,
          prices text,
          data text
        );
        insert or ignore into usage_rollup (id, valid) values (1, 0);
        create trigger if not exists turns_usage_rollup_insert after insert on turns
        begin
          update usage_rollup set valid = 0 where valid <> 0;
        end;
        create trigger if not exists turns_usage_rollup_delete after delete on turns
        begin
          update usage_rollup set valid = 0 where valid <> 0;
        end;
        create trigger if not exists turns_usage_rollup_update after update of ${ROLLUP_INPUT_COLUMNS.join(', ')}
          on turns
        begin
          update usage_rollup set valid = 0 where valid <> 0;
        end;
      `);
    },
  },
  {
    version: 17,
    name: 'import folder listings: a folder unchanged since it was listed is not read again',
    up(c) {
      c.exec(`
        create table if not exists import_folders (
          path text primary key,
          mtime_ms real not null,
          listed_at_ms integer not null,
          folders text not null,
          files text not null
        );
      `);
    },
  },
  {
    version: 18,
    name: 'legacy databases: adoption record, ids of folded legacy rows, legacy commits marked',
    up(c) {
      // docs/decisions/0014-adopting-legacy-databases.md. `legacy_ids` maps an id an earlier release used
      // (a transcript line's uuid, a session file name, a random commit id) to the row that now holds it, for rows
      // folded into the importer's rows when their transcript is imported again.
      c.exec(`
        create table if not exists legacy_ids (
          table_name text not null,
          legacy_id text not null,
          id text not null,
          folded_at text not null,
          primary key (table_name, legacy_id)
        );
        create table if not exists legacy_adoptions (
          path text primary key,
          adopted_at text not null,
          backup_path text,
          schema_version integer,
          counts text
        );
      `);
      // Commits of earlier releases carry random UUIDv4 ids, this project's are UUIDv5: a v4 commit that v11
      // could not re-key (it had no turns) is marked as legacy too, so a re-import can fold it.
      c.db.exec(`update cognitive_commits set legacy_id = id
        where legacy_id is null and length(id) = 36 and substr(id, 15, 1) <> '5'`);
      // Earlier releases wrote a commit's `started_at` from the clock when its first line had no timestamp, later
      // than its `closed_at`, so v11's time-range link left its turns without a commit. A legacy turn with none
      // joins the first legacy commit of its session closed at or after it (the last one for turns after all).
      // A row the server never acknowledged is pending anyway: its version (and legacy local_version) stays.
      c.db.exec(`update turns set commit_id = coalesce(
          (select c.id from cognitive_commits c where c.session_id = turns.session_id and c.legacy_id is not null
             and c.deleted_at is null and c.closed_at >= turns.timestamp order by c.closed_at limit 1),
          (select c.id from cognitive_commits c where c.session_id = turns.session_id and c.legacy_id is not null
             and c.deleted_at is null order by c.closed_at desc limit 1)),
          version = case when synced_version > 0 then version + 1 else version end
        where commit_id is null and legacy_id is not null and session_id is not null and deleted_at is null
          and exists (select 1 from cognitive_commits c where c.session_id = turns.session_id
            and c.legacy_id is not null and c.deleted_at is null)`);
    },
  },
  {
    version: 19,
    name: 'content_state: the state of the text fields a record carries (plain, redacted, withheld, encrypted)',
    up(c) {
      // docs/privacy.md: a JSON object naming the text and path columns that are not plain; null when all are.
      for (const table of ['projects', 'sessions', 'cognitive_commits', 'turns', 'visuals']) {
        c.addColumn(table, 'content_state', 'text');
      }
    },
  },
  {
    version: 21,
    name: 'full-text search: an FTS5 index over the text and tool calls of every live turn',
    up(c) {
      // src/search-index.ts; docs/decisions/0095-full-text-search-index.md. An existing database is indexed
      // here, in one statement (the import and the pull index what they write in their own transactions).
      const existed = c.db
        .prepare("select 1 from sqlite_master where type = 'table' and name = 'turn_search'")
        .get();
      c.exec(SEARCH_INDEX_DDL);
      if (!existed) c.db.exec(SEARCH_INDEX_BUILD);
    },
  },
  {
    version: 23,
    name: 'visuals from transcripts: turn, session, content hash, media type, size; uploaded objects',
    up(c) {
      // docs/data-model.md, "Visuals": an image of a transcript is a visual linked to its turn, its bytes a file
      // of the data folder named by SHA-256. `visual_uploads` (local only) lists the objects this profile's
      // project already holds, so each image is uploaded once.
      c.addColumn('visuals', 'turn_id', 'text');
      c.addColumn('visuals', 'session_id', 'text');
      c.addColumn('visuals', 'sha256', 'text');
      c.addColumn('visuals', 'media_type', 'text');
      c.addColumn('visuals', 'byte_size', 'integer');
      c.exec(`
        create index if not exists idx_visuals_turn on visuals(turn_id);
        create index if not exists idx_visuals_sha256 on visuals(sha256);
        create table if not exists visual_uploads (
          object_name text primary key,
          uploaded_at text not null
        );`);
    },
  },
  {
    version: 25,
    name: 'sessions by last activity: what the statusline and the active billing block read first',
    up(c) {
      // `agentlogs statusline` runs after every response: it finds the sessions active in the last day through
      // this index instead of reading every session row (tens of milliseconds on a large database). Sessions
      // are few and change once per imported file, so the index costs the import next to nothing.
      c.exec('create index if not exists idx_sessions_ended on sessions(ended_at)');
    },
  },
  {
    version: 27,
    name: 'unclaimed rows: the rows without device, machine or update time found by an index, not a scan',
    up(c) {
      // The first sync store opened on a database gives rows of earlier releases (written before the sync
      // envelope, or adopted from such a database) this device's and machine's ids. Found by a scan of every
      // synced table, that took a third of a second on 70,000 turns, in the first `ui`, `sync` or `status`
      // after an import, to find none. These partial indexes hold only such rows: none in a database written
      // by this release, so they cost an insert one test of its row, and the search is instant.
      for (const table of SYNCED_TABLES) {
        c.exec(`create index if not exists idx_${table}_unclaimed on ${table}(id) where ${UNCLAIMED_ROWS}`);
      }
    },
  },
];

/** The rows of a synced table that carry no device, machine or update time (rows of earlier releases). */
export const UNCLAIMED_ROWS = 'device_id is null or machine_id is null or updated_at is null';

/** The turn columns the usage rollup is computed from: writing any of them makes the rollup stale. */
const ROLLUP_INPUT_COLUMNS = [
  'message_id',
  'request_id',
  'is_sidechain',
  'session_id',
  'timestamp',
  'model',
  'speed',
  ...TOKEN_COLUMNS,
  'cost_usd',
  'machine_id',
  'deleted_at',
];

/**
 * Gives rows of earlier releases the ids the importer derives for the same transcript lines
 * (docs/decisions/0013-legacy-rows-take-deterministic-ids.md): a session `claude:session:<id>` (earlier
 * releases used the session id as row id), a turn `claude:turn:<session id>:<id>` (they used the line's
 * uuid), a commit `commit:<session row id>:<row id of its first turn>`. The earlier id is kept in
 * `legacy_id`; references follow. Visuals keep their random ids. Foreign keys are checked at commit.
 */
function adoptDeterministicIds(db: Sqlite): void {
  db.pragma('defer_foreign_keys = ON');
  const sessionIds = new Map<string, string>();
  for (const { id } of db.prepare('select id from sessions where legacy_id is null').all() as {
    id: string;
  }[]) {
    sessionIds.set(id, agentlogsUuid(`claude:session:${id}`));
  }
  const turns = db
    .prepare(
      'select id, session_id, commit_id, timestamp from turns where legacy_id is null order by timestamp, id',
    )
    .all() as { id: string; session_id: string | null; commit_id: string | null; timestamp: string }[];
  const turnIds = new Map<string, string>();
  const firstTurnOfCommit = new Map<string, string>();
  for (const turn of turns) {
    if (turn.session_id === null) continue;
    const id = agentlogsUuid(`claude:turn:${turn.session_id}:${turn.id}`);
    turnIds.set(turn.id, id);
    if (turn.commit_id !== null && !firstTurnOfCommit.has(turn.commit_id))
      firstTurnOfCommit.set(turn.commit_id, id);
  }
  const commitIds = new Map<string, string>();
  const commits = db
    .prepare('select id, session_id from cognitive_commits where legacy_id is null')
    .all() as {
    id: string;
    session_id: string | null;
  }[];
  for (const commit of commits) {
    const firstTurn = firstTurnOfCommit.get(commit.id);
    if (commit.session_id === null || firstTurn === undefined) continue;
    const sessionRowId =
      sessionIds.get(commit.session_id) ?? agentlogsUuid(`claude:session:${commit.session_id}`);
    commitIds.set(commit.id, agentlogsUuid(`commit:${sessionRowId}:${firstTurn}`));
  }

  const rekey = (table: string, ids: Map<string, string>) => {
    const update = db.prepare(`update ${table} set legacy_id = id, id = ? where id = ?`);
    for (const [from, to] of ids) update.run(to, from);
  };
  const follow = (table: string, column: string, ids: Map<string, string>) => {
    const update = db.prepare(`update ${table} set ${column} = ? where ${column} = ?`);
    for (const [from, to] of ids) update.run(to, from);
  };
  rekey('sessions', sessionIds);
  rekey('turns', turnIds);
  rekey('cognitive_commits', commitIds);
  follow('turns', 'session_id', sessionIds);
  follow('cognitive_commits', 'session_id', sessionIds);
  follow('turns', 'commit_id', commitIds);
  follow('sessions', 'commit_id', commitIds);
  follow('visuals', 'commit_id', commitIds);
}

/**
 * Earlier releases recorded a commit's project as `project_name`, the project's path. Sessions and commits of
 * earlier releases get the `projects` row the importer derives for that path (`project:<path>`), and sessions
 * its `cwd`, so stats by project group them with newly imported rows.
 */
function adoptLegacyProjects(db: Sqlite, now: string): void {
  const commits = db
    .prepare(
      `select id, session_id, project_name, started_at from cognitive_commits
        where project_id is null and project_name like '/%' order by started_at`,
    )
    .all() as { id: string; session_id: string | null; project_name: string; started_at: string }[];
  // The project's version time is its first commit's start, the same on every machine that upgrades this data.
  const insertProject = db.prepare(
    'insert or ignore into projects (id, path, name, updated_at) values (?, ?, ?, ?)',
  );
  const setCommit = db.prepare('update cognitive_commits set project_id = ? where id = ?');
  const setSession = db.prepare(
    'update sessions set project_id = coalesce(project_id, ?), cwd = coalesce(cwd, ?) where id = ? and legacy_id is not null',
  );
  for (const commit of commits) {
    const path = commit.project_name;
    const id = agentlogsUuid(`project:${path}`);
    const trimmed = path.replace(/[\\/]+$/, '');
    insertProject.run(id, path, trimmed.split(/[\\/]/).pop() || trimmed, commit.started_at || now);
    setCommit.run(id, commit.id);
    if (commit.session_id !== null) setSession.run(id, path, commit.session_id);
  }
}

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export { readSchemaVersion };

function columnsOf(db: Sqlite, table: string): Set<string> {
  const rows = db.prepare(`select name from pragma_table_info(?)`).all(table) as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

function schemaObjectCount(db: Sqlite): number {
  return (db.prepare('select count(*) as n from sqlite_master').get() as { n: number }).n;
}

/**
 * Brings the database to `LATEST_SCHEMA_VERSION` (or `targetVersion`). Never throws: a failed step is rolled
 * back and reported in `failure`, and the steps after it are not run; a database newer than the code is
 * reported with `tooNew` and left untouched.
 */
export function runMigrations(
  db: Sqlite,
  options: { migrations?: readonly Migration[]; targetVersion?: number; now?: () => string } = {},
): MigrationReport {
  const migrations = options.migrations ?? MIGRATIONS;
  const latestVersion = migrations[migrations.length - 1]?.version ?? 0;
  const target = options.targetVersion ?? latestVersion;
  const now = options.now ?? (() => new Date().toISOString());
  let fromVersion: number;
  try {
    fromVersion = readSchemaVersion(db);
  } catch (cause) {
    return {
      fromVersion: 0,
      toVersion: 0,
      latestVersion,
      steps: [],
      failure: { version: 0, name: 'read schema version', message: messageOf(cause), cause },
    };
  }
  const report: MigrationReport = { fromVersion, toVersion: fromVersion, latestVersion, steps: [] };
  if (fromVersion > latestVersion) {
    report.tooNew = true;
    return report;
  }

  for (const migration of migrations) {
    if (migration.version > target) break;
    if (migration.version <= report.toVersion) continue;
    const started = performance.now();
    let changed = false;
    try {
      db.exec('begin immediate');
      try {
        // Another process may have migrated while this one waited for the lock.
        const current = readSchemaVersion(db);
        if (current >= migration.version) {
          db.exec('commit');
          report.toVersion = current;
          continue;
        }
        const context: MigrationContext = {
          db,
          now: now(),
          addColumn(table, column, definition) {
            if (columnsOf(db, table).has(column)) return false;
            db.exec(`alter table ${table} add column ${column} ${definition}`);
            changed = true;
            return true;
          },
          exec(sql) {
            const before = schemaObjectCount(db);
            db.exec(sql);
            if (schemaObjectCount(db) !== before) changed = true;
          },
        };
        migration.up(context);
        db.prepare('insert or ignore into schema_version (version) values (?)').run(migration.version);
        db.exec('commit');
      } catch (error) {
        if (db.inTransaction) db.exec('rollback');
        throw error;
      }
      report.toVersion = migration.version;
      report.steps.push({
        version: migration.version,
        name: migration.name,
        status: changed ? 'applied' : 'recorded',
        durationMs: performance.now() - started,
      });
    } catch (cause) {
      const message = messageOf(cause);
      report.steps.push({
        version: migration.version,
        name: migration.name,
        status: 'failed',
        durationMs: performance.now() - started,
        error: message,
      });
      report.failure = { version: migration.version, name: migration.name, message, cause };
      break;
    }
  }
  return report;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
