/**
 * The SQLite implementation of sync-core's `LocalStore`, plus the local edits the CLI makes
 * (title, hide, delete a cognitive commit). Rows map to records per docs/data-model.md: the payload is
 * the table's payload columns; a row is pending when `version > synced_version`.
 */

import type { ContentLevel } from '@agentlogs/content-policy';
import type {
  AcceptedRecord,
  ApplyResult,
  DeadLetter,
  LocalStore,
  ServerRecord,
  SyncRecord,
  TableSummary,
} from '@agentlogs/sync-core';
import {
  addToChecksum,
  compareVersions,
  measuredRecordSize,
  recordByteSize,
  recordDigest,
} from '@agentlogs/sync-core';
import type BetterSqlite3 from 'better-sqlite3';
import { LocalStoreError } from './errors.js';
import { purgedGuardSql, UNCLAIMED_ROWS } from './migrations.js';
import type { LocalDatabase } from './open.js';
import type { PendingRecord } from './outbox.js';
import {
  CONTENT_STATE_COLUMN,
  type ContentPolicyOptions,
  contentColumnsOf,
  encodeContentState,
  mergeIncoming,
  mustReupload,
  openIncomingPayload,
  outgoingPayload,
  ProjectExclusion,
  parseContentState,
  type RedactionPreview,
  uploadForm,
} from './outgoing.js';
import type { DeadLettersTable } from './schema.js';
import { flushSearchIndex } from './search-index.js';
import {
  isSyncedTable,
  LEGACY_SYNC_TABLES,
  NOT_NULL_FILL,
  PAYLOAD_COLUMNS,
  SYNCED_TABLES,
  type SyncedTable,
} from './tables.js';
import { newVersionSql } from './versions.js';

const EPOCH = '1970-01-01T00:00:00.000Z';
const LATEST_TIME = '9999-12-31T23:59:59.999Z';
const CURSOR_KEY = 'pull_cursor';
const FULL_RESYNC_KEY = 'full_resync';
const LEGACY_CLAIMED_KEY = 'legacy_rows_claimed';
/** The content level this machine's records were last uploaded at. */
const CONTENT_LEVEL_KEY = 'content_level';

export interface SqliteSyncStoreOptions {
  /** The device id written into every version this device creates. */
  deviceId: string;
  /** This machine's id (`machines.id`), recorded as the origin of rows this device creates. */
  machineId: string;
  /** Clock for `updated_at`/`deleted_at` of local edits (tests replace it). */
  now?: () => Date;
  /**
   * What leaves the machine: the content level applied to every outgoing record and the excluded projects
   * (docs/privacy.md). Without it records leave as they are stored (`full`, nothing excluded).
   */
  content?: ContentPolicyOptions;
}

/** Outcome of the last push or pull, as `status` shows it. */
export interface SyncOutcome {
  at: string;
  ok: boolean;
  /** Free-form counts and the error message, JSON-safe. */
  [key: string]: unknown;
}

interface LocalStamp {
  version: number;
  updated_at: string | null;
  device_id: string | null;
  synced_version: number;
  deleted_at: string | null;
}

type SqlValue = string | number | bigint | null | Buffer;

export class SqliteSyncStore implements LocalStore {
  readonly database: LocalDatabase;
  private readonly sqlite: BetterSqlite3.Database;
  private readonly device: string;
  private readonly machine: string;
  private readonly clock: () => Date;
  private content: ContentPolicyOptions | undefined;
  private exclusion: ProjectExclusion;

  constructor(database: LocalDatabase, options: SqliteSyncStoreOptions) {
    if (!options.deviceId) throw new TypeError('SqliteSyncStore needs a deviceId');
    if (!options.machineId) throw new TypeError('SqliteSyncStore needs a machineId');
    this.database = database;
    this.sqlite = database.sqlite;
    this.device = options.deviceId;
    this.machine = options.machineId;
    this.clock = options.now ?? (() => new Date());
    this.content = options.content;
    this.exclusion = new ProjectExclusion(options.content?.exclude ?? []);
    this.claimLegacyRows();
  }

  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  /** Prepared statements are cached per SQL text (the SQL of this class is built from a fixed set of tables). */
  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private nowIso(): string {
    return this.clock().toISOString();
  }

  /** Runs `fn` in an IMMEDIATE transaction, mapping busy errors to `LocalStoreBusyError`. */
  private write<T>(fn: () => T, options: { foreignKeysOff?: boolean } = {}): T {
    const restoreForeignKeys =
      options.foreignKeysOff && this.sqlite.pragma('foreign_keys', { simple: true }) === 1;
    try {
      // Pulled pages arrive in change_seq order, not parents first; the server's copy is the truth.
      if (restoreForeignKeys) this.sqlite.pragma('foreign_keys = OFF');
      return this.sqlite
        .transaction(() => {
          const result = fn();
          // Turns written here (pulled, edited) go into the search index before the commit.
          flushSearchIndex(this.sqlite);
          return result;
        })
        .immediate();
    } catch (error) {
      throw this.database.translateError(error);
    } finally {
      if (restoreForeignKeys) this.sqlite.pragma('foreign_keys = ON');
    }
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.database.translateError(error);
    }
  }

  /**
   * Rows written by earlier agentlogs releases carry no device or machine: they were recorded here, so they
   * take this device's and machine's ids (once per database; found through the `idx_<table>_unclaimed`
   * partial indexes, which hold only such rows).
   */
  private claimLegacyRows(): void {
    if (this.getState(LEGACY_CLAIMED_KEY) !== undefined) return;
    const now = this.nowIso();
    this.write(() => {
      for (const table of SYNCED_TABLES) {
        this.prepare(
          `update ${table} set device_id = coalesce(device_id, ?), machine_id = coalesce(machine_id, ?),
               updated_at = coalesce(updated_at, ?)
             where ${UNCLAIMED_ROWS}`,
        ).run(this.device, this.machine, now);
      }
      this.setStateInTransaction(LEGACY_CLAIMED_KEY, now);
    });
  }

  // ---- sync_state ------------------------------------------------------------------------------

  private getState(key: string): string | undefined {
    const row = this.read(
      () =>
        this.prepare('select value from sync_state where key = ?').get(key) as { value: string } | undefined,
    );
    return row?.value ?? undefined;
  }

  private setStateInTransaction(key: string, value: string): void {
    this.prepare(
      'insert into sync_state (key, value) values (?, ?) on conflict (key) do update set value = excluded.value',
    ).run(key, value);
  }

  /** Stores the outcome of the last push or pull (`sync_state` keys `last_push`, `last_pull`). */
  async recordOutcome(kind: 'push' | 'pull', outcome: SyncOutcome): Promise<void> {
    this.write(() => this.setStateInTransaction(`last_${kind}`, JSON.stringify(outcome)));
  }

  async lastOutcome(kind: 'push' | 'pull'): Promise<SyncOutcome | undefined> {
    const value = this.getState(`last_${kind}`);
    return value === undefined ? undefined : (JSON.parse(value) as SyncOutcome);
  }

  // ---- LocalStore ------------------------------------------------------------------------------

  async deviceId(): Promise<string> {
    return this.device;
  }

  /** This machine's id (`machines.id`). */
  machineId(): string {
    return this.machine;
  }

  async pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
    skip?: (table: string, id: string) => boolean;
  }): Promise<SyncRecord[]> {
    const records: SyncRecord[] = [];
    let bytes = 0;
    let skipped = 0;
    const skip = options.skip;
    /** Adds a row's record; false when the batch is full (its bytes would pass `maxBytes`). */
    const add = (synced: SyncedTable, row: Record<string, unknown>): boolean => {
      const record = this.outgoing(this.recordOf(synced, row)).record;
      const size = measuredRecordSize(record);
      if (records.length > 0 && bytes + size > options.maxBytes) return false;
      records.push(record);
      bytes += size;
      return true;
    };
    return this.read(() => {
      this.refreshExclusions();
      for (const table of options.tables) {
        const synced = tableOf(table);
        const where = `where t.version > t.synced_version
             and not exists (select 1 from dead_letters d where d.table_name = ? and d.id = t.id and d.version = t.version)
             ${this.excludedSql(synced)}`;
        if (skip === undefined) {
          const statement = this.prepare(
            `select ${selectList(synced)} from ${synced} t ${where} order by t.id`,
          );
          // One row at a time: at most `limit` rows are read, whatever the size of the outbox.
          for (const row of statement.iterate(synced) as Iterable<Record<string, unknown>>) {
            if (records.length >= options.limit || !add(synced, row)) return records;
          }
          continue;
        }
        // With records to skip (those in flight), the ids come first and only the rows taken are read whole:
        // the skipped rows' payloads are never loaded. The ids are collected before any row is read (the
        // connection runs one statement at a time); they are at most `limit`.
        const ids: string[] = [];
        const idStatement = this.prepare(`select t.id from ${synced} t ${where} order by t.id`).pluck();
        for (const id of idStatement.iterate(synced) as Iterable<string>) {
          if (records.length + ids.length + skipped >= options.limit) break;
          if (skip(synced, id)) skipped += 1;
          else ids.push(id);
        }
        const byId = this.prepare(`select ${selectList(synced)} from ${synced} t where t.id = ?`);
        for (const id of ids) {
          const row = byId.get(id) as Record<string, unknown> | undefined;
          if (row !== undefined && !add(synced, row)) return records;
        }
        if (records.length + skipped >= options.limit) return records;
      }
      return records;
    });
  }

  /**
   * What a push would send now: the pending records per table and their size as sent (JSON bytes, after the
   * content policy), read one row at a time so a first upload of any size is measured without holding it.
   */
  async pendingSize(tables: readonly string[]): Promise<{ records: Record<string, number>; bytes: number }> {
    return this.read(() => {
      this.refreshExclusions();
      const records: Record<string, number> = {};
      let bytes = 0;
      for (const table of tables) {
        const synced = tableOf(table);
        const statement = this.prepare(
          `select ${selectList(synced)} from ${synced} t
           where t.version > t.synced_version
             and not exists (select 1 from dead_letters d where d.table_name = ? and d.id = t.id and d.version = t.version)
             ${this.excludedSql(synced)}`,
        );
        let n = 0;
        for (const row of statement.iterate(synced) as Iterable<Record<string, unknown>>) {
          bytes += recordByteSize(this.outgoing(this.recordOf(synced, row)).record);
          n++;
        }
        records[table] = n;
      }
      return { records, bytes };
    });
  }

  async pendingCounts(tables: readonly string[]): Promise<Record<string, number>> {
    return this.read(() => {
      this.refreshExclusions();
      const counts: Record<string, number> = {};
      for (const table of tables) {
        const synced = tableOf(table);
        const row = this.prepare(
          `select count(*) as n from ${synced} t
             where t.version > t.synced_version
               and not exists (select 1 from dead_letters d where d.table_name = ? and d.id = t.id and d.version = t.version)
               ${this.excludedSql(synced)}`,
        ).get(synced) as { n: number };
        counts[table] = row.n;
      }
      return counts;
    });
  }

  /**
   * The pending records as `agentlogs sync pending` lists them (table by table in push order, oldest edit first),
   * at most `limit`; records of projects `sync.exclude` keeps here are left out, as `pendingCounts` leaves them.
   */
  listPending(limit: number): PendingRecord[] {
    return this.read(() => {
      this.refreshExclusions();
      const records: PendingRecord[] = [];
      for (const table of SYNCED_TABLES) {
        if (records.length >= limit) break;
        const rows = this.prepare(
          `select t.id, t.version, t.synced_version, t.deleted_at, t.updated_at from ${table} t
             where t.version > t.synced_version
               and not exists (select 1 from dead_letters d where d.table_name = ? and d.id = t.id and d.version = t.version)
               ${this.excludedSql(table)}
             order by t.updated_at, t.id limit ?`,
        ).all(table, limit - records.length) as {
          id: string;
          version: number;
          synced_version: number;
          deleted_at: string | null;
          updated_at: string | null;
        }[];
        for (const row of rows) {
          records.push({
            table,
            id: row.id,
            version: row.version,
            change: row.deleted_at !== null ? 'delete' : row.synced_version === 0 ? 'new' : 'edit',
            updated_at: row.updated_at,
          });
        }
      }
      return records;
    });
  }

  // ---- content policy --------------------------------------------------------------------------

  /** Sets what leaves the machine from now on (see `SqliteSyncStoreOptions.content`). */
  setContentPolicy(content: ContentPolicyOptions | undefined): void {
    this.content = content;
    this.exclusion = new ProjectExclusion(content?.exclude ?? []);
  }

  /**
   * Records the form the records of this machine leave in: the content level, and whether they are encrypted
   * or this machine is locked (`uploadForm`). After a change — stricter or looser level, encryption turned on,
   * unlocked after a locked spell — every uploaded live record that originated here and holds content gets a new
   * version, so the push replaces the server's copy in the new form (other machines keep their fuller local
   * text, see `applyServerRecords`). A machine that loses its key leaves its ciphertext on the server as it is.
   * Returns the number of records queued again.
   */
  async recordContentLevel(level: ContentLevel, encryption = this.content?.encryption): Promise<number> {
    const form = uploadForm(level, encryption);
    return this.write(() => {
      const previous = this.getStateRaw(CONTENT_LEVEL_KEY);
      let queued = 0;
      if (mustReupload(previous, form)) {
        const now = this.nowIso();
        for (const table of SYNCED_TABLES) {
          const columns = contentColumnsOf(table);
          if (columns.length === 0) continue;
          queued += this.prepare(
            `update ${table} set ${newVersionSql(table, '?', '?')}
               where machine_id = ? and synced_version > 0 and deleted_at is null
                 and (${columns.map((column) => `${column} is not null`).join(' or ')})`,
          ).run(now, this.device, this.machine).changes;
        }
      }
      if (previous !== form) this.setStateInTransaction(CONTENT_LEVEL_KEY, form);
      return queued;
    });
  }

  /** The form recorded by `recordContentLevel` (`full`, `redacted+encrypted`, `locked`, …), if any. */
  uploadedForm(): string | undefined {
    return this.read(() => this.getStateRaw(CONTENT_LEVEL_KEY));
  }

  /**
   * Decrypts the encrypted fields held here that the configured key opens (fields pulled while this machine was
   * locked). The rows keep their versions: their content is what the server holds, now readable. Returns the
   * number of fields opened and of fields still locked.
   */
  openLockedFields(): { opened: number; locked: number } {
    const encryption = this.content?.encryption;
    const key = encryption !== undefined && 'key' in encryption ? encryption.key : undefined;
    const total = { opened: 0, locked: 0 };
    this.write(() => {
      for (const table of SYNCED_TABLES) {
        const columns = contentColumnsOf(table);
        if (columns.length === 0 || !PAYLOAD_COLUMNS[table].includes(CONTENT_STATE_COLUMN)) continue;
        const rows = this.prepare(
          `select id, ${CONTENT_STATE_COLUMN}, ${columns.join(', ')} from ${table}
             where ${CONTENT_STATE_COLUMN} like '%"encrypted"%'`,
        ).all() as Record<string, unknown>[];
        for (const row of rows) {
          const result = openIncomingPayload(table, row.id as string, row, key);
          total.opened += result.opened;
          total.locked += result.locked;
          if (!result.changed) continue;
          const set = [...columns, CONTENT_STATE_COLUMN];
          this.prepare(`update ${table} set ${set.map((c) => `${c} = ?`).join(', ')} where id = ?`).run(
            ...set.map((column) => toSqlValue(result.payload[column])),
            row.id,
          );
        }
      }
    });
    return total;
  }

  /** How many fields held here are encrypted and unreadable on this machine (locked). */
  lockedFieldCount(): number {
    return this.read(() => {
      let locked = 0;
      for (const table of SYNCED_TABLES) {
        if (!PAYLOAD_COLUMNS[table].includes(CONTENT_STATE_COLUMN)) continue;
        const rows = this.prepare(
          `select ${CONTENT_STATE_COLUMN} as state from ${table} where ${CONTENT_STATE_COLUMN} like '%"encrypted"%'`,
        )
          .raw()
          .all() as [string][];
        for (const [state] of rows) {
          locked += Object.values(parseContentState(state)).filter((s) => s === 'encrypted').length;
        }
      }
      return locked;
    });
  }

  /** Whether this database ever synced: it holds a pull cursor or a record the server acknowledged. */
  hasSynced(): boolean {
    return this.read(() => {
      if (Number(this.getState(CURSOR_KEY) ?? 0) > 0) return true;
      return SYNCED_TABLES.some(
        (table) =>
          (
            this.prepare(`select exists (select 1 from ${table} where synced_version > 0) as any`).get() as {
              any: number;
            }
          ).any === 1,
      );
    });
  }

  /** The record as it leaves this machine at the configured content level. */
  private outgoing(record: SyncRecord): { record: SyncRecord; findings: RedactionPreview[] } {
    const out = outgoingPayload(
      record.table as SyncedTable,
      record.id,
      record.payload,
      this.content?.level ?? 'full',
      this.content?.ruleset,
      this.content?.encryption,
    );
    return { record: { ...record, payload: out.payload }, findings: out.findings };
  }

  /** A pulled record with the encrypted fields this machine's key opens decrypted (see `openIncomingPayload`). */
  private openIncoming(table: SyncedTable, record: ServerRecord): ServerRecord {
    const encryption = this.content?.encryption;
    if (
      encryption === undefined ||
      !('key' in encryption) ||
      record.payload === null ||
      record.payload === undefined ||
      typeof record.payload[CONTENT_STATE_COLUMN] !== 'string'
    ) {
      return record;
    }
    const result = openIncomingPayload(table, record.id, record.payload, encryption.key);
    return result.changed ? { ...record, payload: result.payload } : record;
  }

  /**
   * Fills the connection's temporary tables of excluded sessions and projects (`sync.exclude`): a session is
   * excluded when its working directory or its project's path matches; its turns and commits, and their
   * visuals, follow it.
   */
  private refreshExclusions(): void {
    if (this.exclusion.empty) return;
    this.sqlite.exec(
      `create temp table if not exists sync_excluded_projects (id text primary key);
       create temp table if not exists sync_excluded_sessions (id text primary key);
       delete from temp.sync_excluded_projects; delete from temp.sync_excluded_sessions;`,
    );
    const projectPaths = new Map<string, string | null>();
    const addProject = this.prepare('insert or ignore into temp.sync_excluded_projects (id) values (?)');
    for (const [id, path] of this.prepare('select id, path from projects').raw().all() as [
      string,
      string | null,
    ][]) {
      projectPaths.set(id, path);
      if (this.exclusion.matches(path)) addProject.run(id);
    }
    const addSession = this.prepare('insert or ignore into temp.sync_excluded_sessions (id) values (?)');
    for (const [id, cwd, projectId] of this.prepare('select id, cwd, project_id from sessions')
      .raw()
      .all() as [string, string | null, string | null][]) {
      const projectPath = projectId ? projectPaths.get(projectId) : undefined;
      if (this.exclusion.matches(cwd) || this.exclusion.matches(projectPath)) addSession.run(id);
    }
  }

  /** The condition that keeps the records of excluded projects out of the push (empty when none is). */
  private excludedSql(table: SyncedTable): string {
    if (this.exclusion.empty) return '';
    const sessions = 'select id from temp.sync_excluded_sessions';
    switch (table) {
      case 'projects':
        return 'and t.id not in (select id from temp.sync_excluded_projects)';
      case 'sessions':
        return `and t.id not in (${sessions})`;
      case 'turns':
      case 'cognitive_commits':
        return `and (t.session_id is null or t.session_id not in (${sessions}))`;
      case 'visuals':
        return `and (t.commit_id is null or t.commit_id not in
          (select c.id from cognitive_commits c where c.session_id in (${sessions})))`;
      default:
        return '';
    }
  }

  /** How many sessions `sync.exclude` keeps on this machine. */
  excludedSessionCount(): number {
    return this.read(() => {
      if (this.exclusion.empty) return 0;
      this.refreshExclusions();
      return (this.prepare('select count(*) as n from temp.sync_excluded_sessions').get() as { n: number }).n;
    });
  }

  /** What redaction would take out of the pending records (for `push --dry-run`); nothing leaves. */
  async previewRedaction(
    tables: readonly string[],
  ): Promise<{ records: number; findings: RedactionPreview[] }> {
    const findings: RedactionPreview[] = [];
    let records = 0;
    this.read(() => {
      this.refreshExclusions();
      for (const table of tables) {
        const synced = tableOf(table);
        const statement = this.prepare(
          `select ${selectList(synced)} from ${synced} t
           where t.version > t.synced_version
             and not exists (select 1 from dead_letters d where d.table_name = ? and d.id = t.id and d.version = t.version)
             ${this.excludedSql(synced)}
           order by t.id`,
        );
        for (const row of statement.iterate(synced) as Iterable<Record<string, unknown>>) {
          records += 1;
          findings.push(...this.outgoing(this.recordOf(synced, row)).findings);
        }
      }
    });
    return { records, findings };
  }

  async markPushed(accepted: AcceptedRecord[]): Promise<void> {
    if (accepted.length === 0) return;
    const now = this.nowIso();
    this.write(() => {
      const anyDeadLetter = this.prepare('select exists (select 1 from dead_letters) as any').get() as {
        any: number;
      };
      for (const entry of accepted) {
        const table = tableOf(entry.table);
        const set = ['synced_version = @version'];
        if ((LEGACY_SYNC_TABLES as readonly string[]).includes(table)) {
          // Written here so that the coherence trigger has nothing left to do.
          set.push(
            'cloud_id = coalesce(cloud_id, id)',
            'local_version = version',
            'cloud_version = @version',
            "sync_status = case when version > @version then 'pending' else 'synced' end",
          );
        }
        if (table === 'cognitive_commits') set.push('last_synced_at = @now');
        this.prepare(
          `update ${table} set ${set.join(', ')} where id = @id and version >= @version and synced_version < @version`,
        ).run({ version: entry.version, id: entry.id, ...(table === 'cognitive_commits' ? { now } : {}) });
        if (anyDeadLetter.any) {
          this.prepare('delete from dead_letters where table_name = ? and id = ? and version <= ?').run(
            table,
            entry.id,
            entry.version,
          );
        }
      }
    });
  }

  async applyServerRecords(records: ServerRecord[], cursor?: number): Promise<ApplyResult> {
    const result: ApplyResult = { applied: 0, keptLocal: 0 };
    this.write(
      () => {
        const resyncing = this.getStateRaw(FULL_RESYNC_KEY) === '1';
        for (const pulled of records) {
          const table = tableOf(pulled.table);
          const record = this.openIncoming(table, pulled);
          const local = this.prepare(
            `select version, updated_at, device_id, synced_version, deleted_at from ${table} where id = ?`,
          ).get(record.id) as LocalStamp | undefined;
          if (resyncing) {
            this.prepare('insert or ignore into resync_seen (table_name, id) values (?, ?)').run(
              table,
              record.id,
            );
          }
          if (!local) {
            this.prepare('delete from purged_records where table_name = ? and id = ?').run(table, record.id);
            this.insertServerRecord(table, record);
            result.applied += 1;
            continue;
          }
          const order = compareVersions(record, {
            version: local.version,
            // A local time that is not ISO-8601 (hand-edited data) loses the tie instead of failing the page:
            // at equal versions the earlier time wins, so it counts as the latest possible time.
            updatedAt:
              local.updated_at && !Number.isNaN(Date.parse(local.updated_at))
                ? local.updated_at
                : LATEST_TIME,
            deviceId: local.device_id ?? this.device,
          });
          if (order > 0) {
            this.updateFromServerRecord(table, record);
            this.prepare('delete from dead_letters where table_name = ? and id = ?').run(table, record.id);
            result.applied += 1;
          } else if (order === 0) {
            if (local.synced_version < record.version) {
              this.prepare(`update ${table} set synced_version = ? where id = ?`).run(
                record.version,
                record.id,
              );
              this.prepare('delete from dead_letters where table_name = ? and id = ? and version <= ?').run(
                table,
                record.id,
                record.version,
              );
            }
          } else {
            result.keptLocal += 1;
          }
        }
        if (cursor !== undefined) this.setStateInTransaction(CURSOR_KEY, String(cursor));
      },
      { foreignKeysOff: true },
    );
    return result;
  }

  async getCursor(): Promise<number> {
    const value = this.getState(CURSOR_KEY);
    return value === undefined ? 0 : Number(value);
  }

  /** Starts (or restarts) a full resync. The stored cursor stays until the engine stores the new one. */
  async beginFullResync(): Promise<void> {
    this.write(() => {
      this.prepare('delete from resync_seen').run();
      this.setStateInTransaction(FULL_RESYNC_KEY, '1');
    });
  }

  async finishFullResync(): Promise<void> {
    const now = this.nowIso();
    this.write(
      () => {
        if (this.getStateRaw(FULL_RESYNC_KEY) !== '1') return;
        for (const table of SYNCED_TABLES) {
          // Acknowledged and not pending now: a pending edit is pushed and the server decides it.
          const unconfirmed = `from ${table} t where t.synced_version > 0 and t.version <= t.synced_version
            and not exists (select 1 from resync_seen s where s.table_name = '${table}' and s.id = t.id)`;
          const purged = this.prepare(
            `insert or replace into purged_records (table_name, id, purged_at) select '${table}', t.id, ? ${unconfirmed}`,
          ).run(now);
          if (purged.changes > 0) this.sqlite.exec(purgedGuardSql(table));
          this.prepare(`delete from ${table} where id in (select t.id ${unconfirmed})`).run();
          this.prepare(
            `delete from dead_letters where table_name = ? and id in (select id from purged_records where table_name = ?)`,
          ).run(table, table);
        }
        this.prepare('delete from resync_seen').run();
        this.prepare('delete from sync_state where key = ?').run(FULL_RESYNC_KEY);
      },
      { foreignKeysOff: true },
    );
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.write(() => {
      for (const letter of letters) {
        const table = tableOf(letter.table);
        this.prepare(
          `insert into dead_letters (table_name, id, version, code, message, at) values (?, ?, ?, ?, ?, ?)
             on conflict (table_name, id) do update set version = excluded.version, code = excluded.code,
               message = excluded.message, at = excluded.at`,
        ).run(table, letter.id, letter.version, letter.code, letter.message, letter.at);
        if ((LEGACY_SYNC_TABLES as readonly string[]).includes(table)) {
          this.prepare(`update ${table} set sync_status = 'error' where id = ? and version = ?`).run(
            letter.id,
            letter.version,
          );
        }
      }
    });
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    return this.read(() =>
      (
        this.prepare(
          'select table_name, id, version, code, message, at from dead_letters order by at, table_name, id',
        ).all() as DeadLettersTable[]
      ).map((row) => ({
        table: row.table_name,
        id: row.id,
        version: row.version,
        code: row.code,
        message: row.message,
        at: row.at,
      })),
    );
  }

  async retryDeadLetters(): Promise<number> {
    return this.write(() => {
      const letters = this.prepare('select table_name, id from dead_letters').all() as {
        table_name: string;
        id: string;
      }[];
      for (const letter of letters) {
        if ((LEGACY_SYNC_TABLES as readonly string[]).includes(letter.table_name)) {
          this.prepare(
            `update ${letter.table_name} set sync_status = case when version > synced_version then 'pending' else 'synced' end where id = ?`,
          ).run(letter.id);
        }
      }
      this.prepare('delete from dead_letters').run();
      return letters.length;
    });
  }

  async summarize(tables: readonly string[]): Promise<TableSummary[]> {
    return this.read(() =>
      tables.map((table) => {
        const synced = tableOf(table);
        const summary: TableSummary = { table, count: 0, deleted: 0, checksum: 0 };
        const rows = this.prepare(`select id, version, deleted_at is not null as deleted from ${synced}`)
          .raw()
          .iterate() as Iterable<[string, number, number]>;
        for (const [id, version, deleted] of rows) {
          if (deleted) {
            summary.deleted += 1;
          } else {
            summary.count += 1;
            summary.checksum = addToChecksum(summary.checksum, recordDigest(table, id, version, false));
          }
        }
        return summary;
      }),
    );
  }

  /** A record as sync sees it (envelope and payload), tombstones included; null when the id is unknown. */
  async readRecord(table: string, id: string): Promise<SyncRecord | null> {
    const synced = tableOf(table);
    const row = this.read(
      () =>
        this.prepare(`select ${selectList(synced)} from ${synced} t where t.id = ?`).get(id) as
          | Record<string, unknown>
          | undefined,
    );
    return row ? this.recordOf(synced, row) : null;
  }

  // ---- local edits -----------------------------------------------------------------------------

  /**
   * Changes payload columns of a live record as a new local version (version + 1, updated_at now, this
   * device). Throws `RECORD_NOT_FOUND` for an unknown or deleted id. Returns the new version.
   */
  async editRecord(table: string, id: string, changes: Record<string, unknown>): Promise<number> {
    const synced = tableOf(table);
    const allowed = PAYLOAD_COLUMNS[synced].filter((column) => column !== 'machine_id');
    const columns = Object.keys(changes);
    for (const column of columns) {
      if (!allowed.includes(column)) {
        throw new TypeError(`${column} is not an editable column of ${synced}`);
      }
    }
    return this.write(() => {
      const current = this.liveStamp(synced, id);
      const set = columns.map((column) => `${column} = ?`);
      const values = columns.map((column) => toSqlValue(changes[column]));
      // A content column edited here holds the whole text from now on: its state is plain again.
      const edited = columns.filter((column) => contentColumnsOf(synced).includes(column));
      if (edited.length > 0 && PAYLOAD_COLUMNS[synced].includes(CONTENT_STATE_COLUMN)) {
        const row = this.prepare(`select ${CONTENT_STATE_COLUMN} as state from ${synced} where id = ?`).get(
          id,
        ) as {
          state: string | null;
        };
        const states = parseContentState(row.state);
        for (const column of edited) delete states[column];
        set.push(`${CONTENT_STATE_COLUMN} = ?`);
        values.push(encodeContentState(states));
      }
      set.push(newVersionSql(synced, '?', '?'));
      this.prepare(`update ${synced} set ${set.join(', ')} where id = ?`).run(
        ...values,
        this.nowIso(),
        this.device,
        id,
      );
      return current.version + 1;
    });
  }

  /** Deletes a record: a tombstone (deleted_at now) as a new local version. Returns the new version. */
  async deleteRecord(table: string, id: string): Promise<number> {
    const synced = tableOf(table);
    return this.write(() => this.tombstone(synced, id));
  }

  private tombstone(table: SyncedTable, id: string): number {
    const current = this.liveStamp(table, id);
    const now = this.nowIso();
    this.prepare(`update ${table} set deleted_at = ?, ${newVersionSql(table, '?', '?')} where id = ?`).run(
      now,
      now,
      this.device,
      id,
    );
    return current.version + 1;
  }

  private liveStamp(table: SyncedTable, id: string): LocalStamp {
    const current = this.prepare(
      `select version, updated_at, device_id, synced_version, deleted_at from ${table} where id = ?`,
    ).get(id) as LocalStamp | undefined;
    if (!current || current.deleted_at !== null) {
      const what = table === 'cognitive_commits' ? 'commit' : `${table} record`;
      throw new LocalStoreError(
        'RECORD_NOT_FOUND',
        current
          ? `The ${what} ${id} is deleted; deleted records cannot be changed.`
          : `No ${what} with id ${id}; list the ids with \`agentlogs commits list\`.`,
      );
    }
    return current;
  }

  async setCommitTitle(id: string, title: string | null): Promise<number> {
    return this.editRecord('cognitive_commits', id, { title });
  }

  async setCommitHidden(id: string, hidden: boolean): Promise<number> {
    return this.editRecord('cognitive_commits', id, { hidden: hidden ? 1 : 0 });
  }

  /**
   * Deletes a cognitive commit and its visuals (tombstones). Its turns stay: they are the usage record of
   * the session and keep counting in stats (docs/decisions/0012-applying-server-records-and-local-edits.md).
   */
  async deleteCommit(id: string): Promise<number> {
    return this.write(() => {
      const version = this.tombstone('cognitive_commits', id);
      const visuals = this.prepare('select id from visuals where commit_id = ? and deleted_at is null').all(
        id,
      ) as { id: string }[];
      for (const visual of visuals) this.tombstone('visuals', visual.id);
      return version;
    });
  }

  // ---- mapping ---------------------------------------------------------------------------------

  private getStateRaw(key: string): string | undefined {
    const row = this.prepare('select value from sync_state where key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value ?? undefined;
  }

  private recordOf(table: SyncedTable, row: Record<string, unknown>): SyncRecord {
    const payload: Record<string, unknown> = {};
    for (const column of PAYLOAD_COLUMNS[table]) payload[column] = row[column] ?? null;
    if (payload.machine_id === null) payload.machine_id = this.machine;
    return {
      table,
      id: row.id as string,
      version: row.version as number,
      updatedAt: (row.updated_at as string | null) ?? EPOCH,
      deletedAt: (row.deleted_at as string | null) ?? null,
      deviceId: (row.device_id as string | null) ?? this.device,
      payload,
    };
  }

  private insertServerRecord(table: SyncedTable, record: ServerRecord): void {
    const values = this.payloadValues(table, record, true);
    const columns = [
      ...values.keys(),
      'id',
      'version',
      'updated_at',
      'deleted_at',
      'device_id',
      'synced_version',
    ];
    const params: SqlValue[] = [
      ...values.values(),
      record.id,
      record.version,
      record.updatedAt,
      record.deletedAt,
      record.deviceId,
      record.version,
    ];
    if ((LEGACY_SYNC_TABLES as readonly string[]).includes(table)) {
      columns.push('cloud_id', 'sync_status', 'local_version', 'cloud_version');
      params.push(record.id, 'synced', record.version, record.version);
    }
    this.prepare(
      `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    ).run(...params);
  }

  private updateFromServerRecord(table: SyncedTable, record: ServerRecord): void {
    const values = this.payloadValues(table, record, false);
    if (values.has(CONTENT_STATE_COLUMN) && record.deletedAt === null) {
      // A field that arrives redacted, withheld or locked never overwrites a fuller local copy (docs/privacy.md).
      const local = this.prepare(
        `select ${[CONTENT_STATE_COLUMN, ...contentColumnsOf(table)].join(', ')} from ${table} where id = ?`,
      ).get(record.id) as Record<string, unknown>;
      const merge = mergeIncoming(table, local, values.get(CONTENT_STATE_COLUMN));
      for (const column of merge.keepLocal) values.delete(column);
      values.set(CONTENT_STATE_COLUMN, merge.contentState);
    }
    const set = [...values.keys(), 'version', 'updated_at', 'deleted_at', 'device_id', 'synced_version'];
    const params: SqlValue[] = [
      ...values.values(),
      record.version,
      record.updatedAt,
      record.deletedAt,
      record.deviceId,
      record.version,
    ];
    if ((LEGACY_SYNC_TABLES as readonly string[]).includes(table)) {
      set.push('local_version', 'cloud_version', 'sync_status');
      params.push(record.version, record.version, 'synced');
    }
    this.prepare(`update ${table} set ${set.map((column) => `${column} = ?`).join(', ')} where id = ?`).run(
      ...params,
      record.id,
    );
  }

  /**
   * The payload as column values. Keys the payload lacks are left out on update (the local value stays)
   * and filled for NOT NULL columns on insert; unknown keys are ignored.
   */
  private payloadValues(table: SyncedTable, record: ServerRecord, inserting: boolean): Map<string, SqlValue> {
    const values = new Map<string, SqlValue>();
    const fill = NOT_NULL_FILL[table];
    const payload = record.payload ?? {};
    for (const column of PAYLOAD_COLUMNS[table]) {
      const present = Object.hasOwn(payload, column);
      if (!present && !inserting) continue;
      let value = present ? toSqlValue(payload[column]) : null;
      if (value === null && fill[column] !== undefined) value = fill[column];
      if (value !== null || present) values.set(column, value);
    }
    return values;
  }
}

function tableOf(table: string): SyncedTable {
  if (!isSyncedTable(table)) {
    throw new LocalStoreError(
      'UNKNOWN_TABLE',
      `This agentlogs does not know the table ${JSON.stringify(table)}; upgrade agentlogs on this machine.`,
    );
  }
  return table;
}

function selectList(table: SyncedTable): string {
  const columns = new Set([
    'id',
    'version',
    'updated_at',
    'deleted_at',
    'device_id',
    ...PAYLOAD_COLUMNS[table],
  ]);
  return [...columns].map((column) => `t.${column}`).join(', ');
}

function toSqlValue(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (Buffer.isBuffer(value)) return value;
  return JSON.stringify(value);
}
