/**
 * A look at the local database without changing it, for `agentlogs doctor`: its schema version, SQLite's
 * quick check, the size of its write-ahead log, and what the imports stored about each transcript file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, readSchemaVersion } from './migrations.js';
import { DATABASE_FILE_NAME } from './open.js';

/** What the last import stored about one transcript file. */
export interface ImportedFile {
  path: string;
  /** The agent (`claude_code`, `codex`, …). */
  source: string;
  size: number;
  mtimeMs: number;
  /** Bytes read so far: a file larger than this has lines not imported yet. */
  byteOffset: number;
  /** The session its lines built, when they built exactly one. */
  sessionId: string | null;
}

export interface DatabaseInspection {
  path: string;
  exists: boolean;
  /** 0 when the file does not exist. */
  schemaVersion: number;
  latestSchemaVersion: number;
  /** `['ok']` for a sound database, else SQLite's findings (at most 20). */
  quickCheck: string[];
  /** Size of `<database>-wal` (0 when there is none). */
  walBytes: number;
  /** Why the database could not be read, when it could not. */
  error: string | null;
  importedFiles: ImportedFile[];
  /** Sessions (not deleted) by id, with the files their cursors name: for telling which are gone from disk. */
  liveSessions: Set<string>;
}

/**
 * Inspects the database of a data directory read-only: nothing is migrated, written or locked for long. A
 * database that cannot be opened is reported in `error`, never thrown.
 */
export function inspectDatabase(dir: string): DatabaseInspection {
  const path = join(dir, DATABASE_FILE_NAME);
  const wal = `${path}-wal`;
  const out: DatabaseInspection = {
    path,
    exists: existsSync(path),
    schemaVersion: 0,
    latestSchemaVersion: LATEST_SCHEMA_VERSION,
    quickCheck: [],
    walBytes: existsSync(wal) ? statSync(wal).size : 0,
    error: null,
    importedFiles: [],
    liveSessions: new Set(),
  };
  if (!out.exists) return out;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 2000 });
    out.quickCheck = (db.prepare('pragma quick_check(20)').raw().all() as [string][]).map((r) => r[0]);
    out.schemaVersion = readSchemaVersion(db);
    const has = (table: string) =>
      db!.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(table) !== undefined;
    if (has('import_files')) {
      for (const [p, source, size, mtimeMs, byteOffset, sessionId] of db
        .prepare('select path, source, size, mtime_ms, byte_offset, session_id from import_files')
        .raw()
        .all() as [string, string, number, number, number, string | null][]) {
        out.importedFiles.push({ path: p, source, size, mtimeMs, byteOffset, sessionId });
      }
    }
    if (has('sessions')) {
      const deleted = (
        db.prepare('select name from pragma_table_info(?)').all('sessions') as { name: string }[]
      ).some((c) => c.name === 'deleted_at');
      for (const [id] of db
        .prepare(`select id from sessions${deleted ? ' where deleted_at is null' : ''}`)
        .raw()
        .all() as [string][]) {
        out.liveSessions.add(id);
      }
    }
  } catch (error) {
    out.error = error instanceof Error ? error.message : String(error);
  } finally {
    db?.close();
  }
  return out;
}
