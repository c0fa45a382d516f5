/**
 * Adoption of a database written by an earlier agentlogs release (docs/decisions/0014-adopting-legacy-databases.md).
 *
 * The earlier file is never opened for writing: its bytes (and those of its `-wal` file) are copied into the data
 * folder as a backup, a second copy is upgraded to the latest schema by the ordinary migrations, and its rows are
 * copied into this project's database in one IMMEDIATE transaction that also records the adoption. The record is
 * checked inside that transaction, so two processes adopting at once copy the rows once.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { LocalStoreError } from './errors.js';
import { type LocalDatabase, openLocalDatabase } from './open.js';

/** Tables whose rows are adopted, parents first (foreign keys are checked at commit anyway). */
const ADOPTED_TABLES = [
  'projects',
  'cognitive_commits',
  'sessions',
  'turns',
  'visuals',
  'daemon_state',
  'legacy_ids',
] as const;

export interface LegacyAdoption {
  /** The earlier release's database file (left unchanged). */
  legacyPath: string;
  /** The copy of it kept in the data folder. */
  backupPath: string;
  /** The schema version the earlier file had (MAX(version) of its `schema_version`). */
  schemaVersion: number;
  /** Rows adopted per table (rows already present, by id, are kept as they are). */
  counts: Record<string, number>;
}

export interface AdoptLegacyOptions {
  /** The open database of this project (already migrated). */
  store: LocalDatabase;
  /** The earlier release's database file. */
  legacyPath: string;
  /** Folder where the backup copy goes (created when needed). */
  backupDir: string;
  now?: () => Date;
}

/** True when `legacyPath` has not been adopted into `store` yet (and exists). */
export function legacyAdoptionPending(store: LocalDatabase, legacyPath: string): boolean {
  if (!existsSync(legacyPath)) return false;
  const row = store.sqlite.prepare('select 1 from legacy_adoptions where path = ?').get(legacyPath);
  return row === undefined;
}

/**
 * Adopts the earlier database at `legacyPath` into `store` unless it was adopted before (by this or another
 * process). Returns what was adopted, or null when there was nothing to do. Throws a `LocalStoreError`
 * (`LEGACY_ADOPTION_FAILED`) when the file cannot be read or upgraded; nothing is recorded then.
 */
export function adoptLegacyDatabase(options: AdoptLegacyOptions): LegacyAdoption | null {
  const { store, legacyPath } = options;
  if (!legacyAdoptionPending(store, legacyPath)) return null;
  const now = (options.now ?? (() => new Date()))();
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  mkdirSync(options.backupDir, { recursive: true });
  // The process id keeps the name its own: processes started in the same millisecond each copy a backup, and the
  // ones that find the database adopted by another remove theirs, never the one kept.
  const backupPath = join(options.backupDir, `legacy-${stamp}-${process.pid}-${basename(legacyPath)}`);

  // Byte copies: the database and its WAL (the SHM index is rebuilt from the WAL). The backup is what the earlier
  // release left; the work copy is upgraded and read, then removed.
  const work = join(options.backupDir, `.adopting-${process.pid}-${stamp}.db`);
  const copy = (to: string) => {
    copyFileSync(legacyPath, to);
    if (existsSync(`${legacyPath}-wal`) && statSync(`${legacyPath}-wal`).size > 0)
      copyFileSync(`${legacyPath}-wal`, `${to}-wal`);
  };
  let legacy: LocalDatabase | undefined;
  try {
    copy(backupPath);
    copy(work);
    legacy = openLocalDatabase({ path: work, busyTimeoutMs: store.busyTimeoutMs });
    const schemaVersion = legacy.migration.fromVersion;
    // Everything in one file: the attached copy is read without its WAL.
    legacy.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    legacy.sqlite.pragma('journal_mode = DELETE');
    legacy.sqlite.close();
    legacy = undefined;
    const adopted = copyRows(store, work, { legacyPath, backupPath, schemaVersion }, now.toISOString());
    // Adopted by another process meanwhile: its backup is the one kept.
    if (adopted === null) removeBackup(backupPath);
    return adopted;
  } catch (cause) {
    removeBackup(backupPath);
    if (cause instanceof LocalStoreError && cause.code === 'SQLITE_BUSY') throw cause;
    throw new LocalStoreError(
      'LEGACY_ADOPTION_FAILED',
      `Cannot adopt the earlier agentlogs database ${legacyPath} (${cause instanceof Error ? cause.message : String(cause)}); it was left unchanged.`,
      { cause },
    );
  } finally {
    if (legacy) void legacy.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${work}${suffix}`, { force: true });
  }
}

function removeBackup(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}-wal`, { force: true });
}

function columnsOf(db: BetterSqlite3.Database, schema: string, table: string): string[] {
  return (db.prepare(`select name from ${schema}.pragma_table_info(?)`).all(table) as { name: string }[]).map(
    (r) => r.name,
  );
}

function copyRows(
  store: LocalDatabase,
  work: string,
  info: Omit<LegacyAdoption, 'counts'>,
  now: string,
): LegacyAdoption | null {
  const db = store.sqlite;
  db.prepare('attach database ? as legacy').run(work);
  try {
    db.exec('begin immediate');
    try {
      // Another process may have adopted the file while this one copied and upgraded it.
      if (db.prepare('select 1 from legacy_adoptions where path = ?').get(info.legacyPath)) {
        db.exec('rollback');
        return null;
      }
      db.pragma('defer_foreign_keys = ON');
      const counts: Record<string, number> = {};
      for (const table of ADOPTED_TABLES) {
        const theirs = new Set(columnsOf(db, 'legacy', table));
        if (theirs.size === 0) continue;
        const columns = columnsOf(db, 'main', table).filter((c) => theirs.has(c));
        const list = columns.map((c) => `"${c}"`).join(', ');
        counts[table] = db
          .prepare(`insert or ignore into main.${table} (${list}) select ${list} from legacy.${table}`)
          .run().changes;
      }
      db.prepare(
        'insert into legacy_adoptions (path, adopted_at, backup_path, schema_version, counts) values (?, ?, ?, ?, ?)',
      ).run(info.legacyPath, now, info.backupPath, info.schemaVersion, JSON.stringify(counts));
      db.exec('commit');
      return { ...info, counts };
    } catch (error) {
      if (db.inTransaction) db.exec('rollback');
      throw store.translateError(error);
    }
  } finally {
    db.exec('detach database legacy');
  }
}

/** The backup folder inside a data folder. */
export function legacyBackupDir(dataDir: string): string {
  return join(dataDir, 'backups');
}
