/**
 * Opening the local database: better-sqlite3 with WAL, a busy timeout and foreign keys enforced (as the
 * earlier agentlogs driver had them), migrated to the latest schema, with a typed Kysely instance over the same
 * connection on demand. Kysely is loaded on first use: the hot paths (import, stats, sync) use prepared
 * statements, and loading it costs a process more than opening the database.
 */

import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely, SqliteDatabase, SqliteStatement } from 'kysely';
import { DATABASE_FILE_NAME, DEFAULT_BUSY_TIMEOUT_MS, LEGACY_DATABASE_PATH } from './database-file.js';
import { LocalStoreError, MigrationFailedError, SchemaTooNewError, translateSqliteError } from './errors.js';
import {
  LATEST_SCHEMA_VERSION,
  type MigrationReport,
  readSchemaVersion,
  runMigrations,
} from './migrations.js';
import type { Database } from './schema.js';

/** Where better-sqlite3 lives, for a worker thread that opens a connection of its own (evaluated code cannot import it). */
export function sqliteDriverPath(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

export { DATABASE_FILE_NAME, DEFAULT_BUSY_TIMEOUT_MS, LEGACY_DATABASE_PATH };

export type OpenLocalStoreOptions = (
  | { /** Data directory; the database is `<dir>/agentlogs.db` (the directory is created). */ dir: string }
  | { /** An existing database file, e.g. one written by an earlier agentlogs release. */ path: string }
) & {
  /** How long a write waits for another connection's lock before `LocalStoreBusyError` (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * Open without migrating or writing (the database must already be at the latest version). In a folder this
   * user cannot write, SQLite cannot read a WAL database in place (it must create the `-shm` index next to it):
   * a private copy is read instead, removed on close.
   */
  readonly?: boolean;
};

export interface LocalDatabase {
  /** Typed query builder over the same connection as `sqlite` (kysely is loaded on the first call). */
  kysely(): Promise<Kysely<Database>>;
  /** The raw better-sqlite3 connection, for prepared statements in hot paths. */
  readonly sqlite: BetterSqlite3.Database;
  /** Absolute or caller-given path of the database file. */
  readonly path: string;
  /** Opened read-only (`readonly` option): nothing is migrated or written. */
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  /** What opening did to the schema. */
  readonly migration: MigrationReport;
  /** Maps a raw driver error to a typed one (busy → `LocalStoreBusyError`), for callers of `sqlite`. */
  translateError(error: unknown): unknown;
  close(): Promise<void>;
}

/**
 * Opens (creating when needed) and migrates the database. Throws `SchemaTooNewError` for a database written
 * by a newer agentlogs, `MigrationFailedError` when a step fails (the file stays at the last good version),
 * `LocalStoreBusyError` when another process holds the lock past the timeout.
 */
export function openLocalDatabase(options: OpenLocalStoreOptions): LocalDatabase {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let path: string;
  const readonly = options.readonly ?? false;
  if ('dir' in options) {
    if (!readonly) ensureDirectory(options.dir, 0o700);
    path = join(options.dir, DATABASE_FILE_NAME);
  } else {
    path = options.path;
  }
  let sqlite: BetterSqlite3.Database;
  let snapshotDir: string | undefined;
  try {
    sqlite = new BetterSqlite3(path, {
      timeout: busyTimeoutMs,
      readonly,
      fileMustExist: readonly || 'path' in options,
    });
    if (readonly && !canReadInPlace(sqlite)) {
      sqlite.close();
      snapshotDir = mkdtempSync(join(tmpdir(), 'agentlogs-read-'));
      const copy = join(snapshotDir, DATABASE_FILE_NAME);
      copyFileSync(path, copy);
      if (existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0)
        copyFileSync(`${path}-wal`, `${copy}-wal`);
      sqlite = new BetterSqlite3(copy, { timeout: busyTimeoutMs, readonly: true, fileMustExist: true });
    }
  } catch (cause) {
    if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
    throw new LocalStoreError(
      'DATABASE_OPEN_FAILED',
      `Cannot open the database ${path} (${cause instanceof Error ? cause.message : String(cause)}); check the path and its permissions.`,
      { cause },
    );
  }
  const translateError = (error: unknown) => translateSqliteError(error, path, busyTimeoutMs);
  // Before WAL mode: SQLite gives the -wal and -shm files it creates the database file's mode.
  if (!readonly) keepPrivate(path);
  try {
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    sqlite.pragma('foreign_keys = ON');
    if (!readonly) {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
    }
  } catch (error) {
    sqlite.close();
    throw readOnlyError(error, path) ?? translateError(error);
  }

  let migration: MigrationReport;
  if (readonly) {
    const version = readSchemaVersion(sqlite);
    migration = { fromVersion: version, toVersion: version, latestVersion: LATEST_SCHEMA_VERSION, steps: [] };
    if (version > LATEST_SCHEMA_VERSION) {
      sqlite.close();
      throw new SchemaTooNewError(path, version, LATEST_SCHEMA_VERSION);
    }
    if (version < LATEST_SCHEMA_VERSION) {
      sqlite.close();
      throw new LocalStoreError(
        'SCHEMA_NEEDS_UPGRADE',
        `The database ${path} has schema version ${version} and must be upgraded to ${LATEST_SCHEMA_VERSION}; open it once without read-only (any agentlogs command that writes, e.g. import).`,
      );
    }
  } else {
    migration = runMigrations(sqlite);
    if (migration.tooNew) {
      sqlite.close();
      throw new SchemaTooNewError(path, migration.fromVersion, LATEST_SCHEMA_VERSION);
    }
    if (migration.failure) {
      sqlite.close();
      const readOnly = readOnlyError(migration.failure.cause, path);
      if (readOnly) throw readOnly;
      const typed = translateError(migration.failure.cause);
      if (typed !== migration.failure.cause) throw typed;
      throw new MigrationFailedError(
        path,
        migration.failure.version,
        migration.toVersion,
        migration.failure.message,
        { cause: migration.failure.cause },
      );
    }
  }

  let kysely: Promise<Kysely<Database>> | undefined;
  return {
    kysely() {
      kysely ??= import('kysely').then(
        ({ Kysely, SqliteDialect }) =>
          new Kysely<Database>({
            dialect: new SqliteDialect({ database: translatingDatabase(sqlite, translateError) }),
          }),
      );
      return kysely;
    },
    sqlite,
    path,
    readonly,
    busyTimeoutMs,
    migration,
    translateError,
    async close() {
      if (kysely) await (await kysely).destroy();
      if (sqlite.open) sqlite.close();
      if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates `dir` and its missing parents. Unlike `mkdirSync(dir, { recursive: true })`, which on Linux spins
 * forever on a path under /proc that cannot exist, this creates one level at a time and throws the first
 * error (ENOENT, ENOTDIR, EACCES, EROFS) with the path it concerns.
 */
export function ensureDirectory(dir: string, mode?: number): void {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (error) {
      const parent = dirname(current);
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) throw error;
      missing.push(current);
      current = parent;
      continue;
    }
    if (!isDirectory) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
        code: 'ENOTDIR',
        errno: -20,
        syscall: 'mkdir',
        path: current,
      });
    }
    break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, mode === undefined ? undefined : { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(level).isDirectory()) throw error;
    }
  }
}

/**
 * The database holds every transcript's text: it and its -wal and -shm files are made readable by their owner
 * only (0600), also when an earlier version or a umask left them readable by others. Files of another user
 * (a database opened with write access it was granted) are left as they are. Not on Windows.
 */
export function keepPrivate(databasePath: string): void {
  if (process.platform === 'win32') return;
  const uid = process.getuid?.();
  for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`]) {
    try {
      const { mode, uid: owner } = statSync(file);
      if ((mode & 0o077) !== 0 && (uid === undefined || owner === uid)) chmodSync(file, 0o600);
    } catch {
      // not there (yet), or not ours to change
    }
  }
}

/** Whether a read-only connection can read the file where it lies (a WAL database needs its `-shm` index). */
function canReadInPlace(sqlite: BetterSqlite3.Database): boolean {
  try {
    readSchemaVersion(sqlite);
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN') return false;
    throw error;
  }
}

/** SQLite's "attempt to write a readonly database" as a `DATABASE_READ_ONLY` error naming the file. */
function readOnlyError(error: unknown, path: string): LocalStoreError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_READONLY')) return undefined;
  return new LocalStoreError(
    'DATABASE_READ_ONLY',
    `The database ${path} cannot be written by this user (${(error as Error).message}).`,
    { cause: error },
  );
}

/** Kysely's view of the connection, with driver errors mapped to typed ones. */
function translatingDatabase(
  sqlite: BetterSqlite3.Database,
  translate: (e: unknown) => unknown,
): SqliteDatabase {
  return {
    close() {
      if (sqlite.open) sqlite.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement: BetterSqlite3.Statement;
      try {
        statement = sqlite.prepare(sql);
      } catch (error) {
        throw translate(error);
      }
      return {
        reader: statement.reader,
        all(parameters) {
          try {
            return statement.all(...parameters);
          } catch (error) {
            throw translate(error);
          }
        },
        run(parameters) {
          try {
            return statement.run(...parameters);
          } catch (error) {
            throw translate(error);
          }
        },
        iterate(parameters) {
          try {
            return statement.iterate(...parameters) as IterableIterator<unknown>;
          } catch (error) {
            throw translate(error);
          }
        },
      };
    },
  };
}
