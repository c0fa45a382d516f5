/**
 * Where the database lies and which schema version it holds, readable without loading the rest of the store
 * (open.ts, the migrations): for a reader that must start fast (the statusline, run after every response of an
 * agent) and opens the database read-only with better-sqlite3 alone.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/** File name of the database inside the data directory. */
export const DATABASE_FILE_NAME = 'agentlogs.db';

/** Where earlier agentlogs releases kept their global database, relative to the home directory. */
export const LEGACY_DATABASE_PATH = join('.agentlogs', 'global', 'data.db');

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * The version the migrations end at (`LATEST_SCHEMA_VERSION`), as a literal, so that reading it loads nothing
 * else. A test keeps the two equal; a reader that finds any other version in a database leaves it to the
 * full open, which migrates it or says why it cannot.
 */
export const SCHEMA_VERSION = 27;

/** The schema version of an open database: MAX(version) of `schema_version`, 0 when there is none. */
export function readSchemaVersion(db: BetterSqlite3.Database): number {
  const table = db
    .prepare("select 1 from sqlite_master where type = 'table' and name = 'schema_version'")
    .get();
  if (!table) return 0;
  const row = db.prepare('select max(version) as version from schema_version').get() as
    | { version: number | null }
    | undefined;
  return row?.version ?? 0;
}

/**
 * The database file opened read-only where it lies, for a quick read that neither migrates nor writes: only when
 * it exists, can be read in place and holds exactly SCHEMA_VERSION; undefined otherwise (or on any error), and
 * the caller then opens it with `openLocalDatabase`, which migrates it, copies it or says why it cannot.
 */
export function openCurrentReadOnly(path: string): BetterSqlite3.Database | undefined {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: DEFAULT_BUSY_TIMEOUT_MS });
    if (readSchemaVersion(db) === SCHEMA_VERSION) return db;
  } catch {
    // missing, unreadable, damaged or locked: the full open reports it
  }
  if (db?.open) db.close();
  return undefined;
}
