/**
 * Typed errors of the local store. Every error carries a `code`; `isLocalStoreError` recognises them by a
 * marker property, so the check survives duplicate copies of this package in one process.
 */

export type LocalStoreErrorCode =
  | 'SQLITE_BUSY'
  | 'SCHEMA_TOO_NEW'
  | 'MIGRATION_FAILED'
  | 'SCHEMA_NEEDS_UPGRADE'
  | 'UNKNOWN_TABLE'
  | 'RECORD_NOT_FOUND'
  | 'DATABASE_OPEN_FAILED'
  | 'DATABASE_READ_ONLY'
  | 'DATABASE_DAMAGED'
  | 'LEGACY_ADOPTION_FAILED';

const MARKER = '__agentlogsLocalStoreError';

export class LocalStoreError extends Error {
  readonly code: LocalStoreErrorCode;
  readonly [MARKER] = true;

  constructor(code: LocalStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalStoreError';
    this.code = code;
  }
}

/** Another process (or connection) held the database lock for longer than the busy timeout. */
export class LocalStoreBusyError extends LocalStoreError {
  readonly databasePath: string | undefined;
  readonly timeoutMs: number | undefined;

  constructor(
    databasePath: string | undefined,
    timeoutMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    const where = databasePath ? ` ${databasePath}` : '';
    const wait = timeoutMs === undefined ? '' : ` for ${timeoutMs} ms`;
    super(
      'SQLITE_BUSY',
      `The database${where} is locked by another agentlogs process (waited${wait}); wait for it to finish and retry.`,
      options,
    );
    this.name = 'LocalStoreBusyError';
    this.databasePath = databasePath;
    this.timeoutMs = timeoutMs;
  }
}

/** The database was written by a newer agentlogs than this one. */
export class SchemaTooNewError extends LocalStoreError {
  readonly databaseVersion: number;
  readonly supportedVersion: number;

  constructor(databasePath: string | undefined, databaseVersion: number, supportedVersion: number) {
    const where = databasePath ? ` ${databasePath}` : '';
    super(
      'SCHEMA_TOO_NEW',
      `The database${where} has schema version ${databaseVersion}, newer than this agentlogs supports (${supportedVersion}); upgrade agentlogs.`,
    );
    this.name = 'SchemaTooNewError';
    this.databaseVersion = databaseVersion;
    this.supportedVersion = supportedVersion;
  }
}

/** A migration step failed; the database stays at the last good version (`report.toVersion`). */
export class MigrationFailedError extends LocalStoreError {
  readonly failedVersion: number;
  readonly stayedAtVersion: number;

  constructor(
    databasePath: string | undefined,
    failedVersion: number,
    stayedAtVersion: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const where = databasePath ? ` of ${databasePath}` : '';
    super(
      'MIGRATION_FAILED',
      `Upgrading the database${where} to schema version ${failedVersion} failed (${reason}); it stays at version ${stayedAtVersion}. Back up the file and report this error.`,
      options,
    );
    this.name = 'MigrationFailedError';
    this.failedVersion = failedVersion;
    this.stayedAtVersion = stayedAtVersion;
  }
}

export function isLocalStoreError(error: unknown): error is LocalStoreError {
  return typeof error === 'object' && error !== null && (error as Record<string, unknown>)[MARKER] === true;
}

export function isLocalStoreBusyError(error: unknown): error is LocalStoreBusyError {
  return isLocalStoreError(error) && error.code === 'SQLITE_BUSY';
}

/** True for a raw better-sqlite3 busy/locked error (`SQLITE_BUSY`, `SQLITE_BUSY_SNAPSHOT`, `SQLITE_LOCKED`…). */
export function isSqliteBusy(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Maps a raw driver error to a typed one: busy errors become `LocalStoreBusyError`; anything else is returned
 * unchanged. Use it around raw better-sqlite3 calls: `catch (e) { throw translateSqliteError(e, path, ms) }`.
 */
export function translateSqliteError(error: unknown, databasePath?: string, timeoutMs?: number): unknown {
  if (isLocalStoreError(error)) return error;
  if (isSqliteBusy(error)) return new LocalStoreBusyError(databasePath, timeoutMs, { cause: error });
  if (isSqliteDamaged(error)) {
    const where = databasePath ? ` ${databasePath}` : '';
    return new LocalStoreError(
      'DATABASE_DAMAGED',
      `The database${where} is damaged or is not an agentlogs database (${(error as Error).message}).`,
      { cause: error },
    );
  }
  return error;
}

/** True for SQLite's "not a database" and "database disk image is malformed" errors. */
function isSqliteDamaged(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT'));
}
