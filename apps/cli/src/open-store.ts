import { accessSync, constants, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  adoptLegacyDatabase,
  DATABASE_FILE_NAME,
  isLocalStoreError,
  LEGACY_DATABASE_PATH,
  type LegacyAdoption,
  type LocalDatabase,
  legacyAdoptionPending,
  legacyBackupDir,
  openLocalDatabase,
} from '@agentlogs/local-store';
import { type CommandContext, profileDir } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { makeDir } from './make-dir.js';

export interface OpenStoreOptions {
  /**
   * `read`: the command only reads (stats, listings, status). When this user cannot write the database or its
   * folder (a database imported with sudo, a read-only mount), it is opened read-only: nothing is migrated,
   * adopted or cached, and a database that is missing or needs an upgrade is reported in one line.
   */
  access?: 'read' | 'write';
  /** How long a write waits for another process's lock (default: local-store's, 5 s). */
  busyTimeoutMs?: number;
}

/**
 * Opens (and migrates) the profile's local database, turning store failures into one-line CLI errors.
 * Needs only the profile's directory, not its settings, so `stats` does not load the settings file reader.
 * The default profile adopts the database of an earlier agentlogs release found at `~/.agentlogs/global/data.db`
 * the first time (docs/decisions/0014-adopting-legacy-databases.md), saying so once on stderr; a read-only
 * open never attempts it.
 */
export function openStore(
  ctx: Pick<CommandContext, 'home' | 'profile'> & Partial<Pick<CommandContext, 'env' | 'err'>>,
  options: OpenStoreOptions = {},
): LocalDatabase {
  const dir = profileDir(ctx.home, ctx.profile);
  const blocked = notWritable(dir);
  if (blocked !== undefined) {
    if (options.access === 'read') return openReadOnly(dir);
    throw new CliError(`${blocked} cannot be written by this user`, {
      exitCode: ExitCode.fileSystem,
      hint: 'run the command as the user who owns it, or fix its permissions',
    });
  }
  let store: LocalDatabase;
  try {
    makeDir(dir);
    store = openLocalDatabase({ dir, busyTimeoutMs: options.busyTimeoutMs });
  } catch (error) {
    if (options.access === 'read' && isLocalStoreError(error) && error.code === 'DATABASE_READ_ONLY') {
      return openReadOnly(dir);
    }
    throw storeError(error);
  }
  if (ctx.profile === 'default') {
    try {
      adoptLegacy(store, dir, ctx);
    } catch (error) {
      void store.close();
      throw storeError(error);
    }
  }
  return store;
}

/**
 * The folder or database file this user may not write, or undefined when it may write (or create) both.
 * A path that is not a folder, or cannot exist, is left to the open, which reports it.
 */
function notWritable(dir: string): string | undefined {
  const file = path.join(dir, DATABASE_FILE_NAME);
  let existing = dir;
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  for (const target of existsSync(file) ? [existing, file] : [existing]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return target;
    }
  }
  return undefined;
}

const WRITE_ACCESS_HINT =
  "run 'agentlogs import' once as the user who owns the data folder (or with write access to it)";

function openReadOnly(dir: string): LocalDatabase {
  const file = path.join(dir, DATABASE_FILE_NAME);
  if (!existsSync(file)) {
    throw new CliError(`there is no database at ${file}, and this user cannot create it`, {
      exitCode: ExitCode.fileSystem,
      hint: `${WRITE_ACCESS_HINT}, or set AGENTLOGS_HOME to a folder you can write`,
    });
  }
  try {
    return openLocalDatabase({ dir, readonly: true });
  } catch (error) {
    if (isLocalStoreError(error) && error.code === 'SCHEMA_NEEDS_UPGRADE') {
      throw new CliError(`the database ${file} needs an upgrade, and this user cannot write it`, {
        exitCode: ExitCode.fileSystem,
        hint: WRITE_ACCESS_HINT,
        cause: error,
      });
    }
    throw storeError(error);
  }
}

/** Where an earlier agentlogs release kept its global database for this user. */
export function legacyDatabasePath(env: NodeJS.ProcessEnv | undefined): string {
  const home = env?.HOME || env?.USERPROFILE || os.homedir();
  return path.join(home, LEGACY_DATABASE_PATH);
}

function adoptLegacy(
  store: LocalDatabase,
  dir: string,
  ctx: Partial<Pick<CommandContext, 'env' | 'err'>>,
): void {
  const legacyPath = legacyDatabasePath(ctx.env ?? process.env);
  if (!legacyAdoptionPending(store, legacyPath)) return;
  const say = ctx.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let adopted: LegacyAdoption | null;
  try {
    adopted = adoptLegacyDatabase({ store, legacyPath, backupDir: legacyBackupDir(dir) });
  } catch (error) {
    if (isLocalStoreError(error) && error.code === 'LEGACY_ADOPTION_FAILED') {
      say(`agentlogs: ${error.message}`);
      return;
    }
    throw error;
  }
  if (adopted === null) return; // another process adopted it meanwhile (and said so)
  const c = adopted.counts;
  say(
    `agentlogs: adopted the database of an earlier agentlogs release, ${legacyPath} (${c.cognitive_commits ?? 0} commits, ${c.sessions ?? 0} sessions, ${c.turns ?? 0} turns), into ${store.path}. ` +
      `That file was left unchanged and will not be read again; a copy is kept at ${adopted.backupPath}. ` +
      "Run 'agentlogs import' to merge its rows with your transcripts.",
  );
}

/**
 * Maps a local-store error to a `CliError` (busy, too new, failed migration → exit 6; a database or folder
 * this user cannot open or write → exit 7).
 */
export function storeError(error: unknown): unknown {
  if (
    isLocalStoreError(error) &&
    (error.code === 'DATABASE_READ_ONLY' || error.code === 'DATABASE_OPEN_FAILED')
  ) {
    return new CliError(error.message.replace(/\.$/, ''), {
      exitCode: ExitCode.fileSystem,
      hint:
        error.code === 'DATABASE_READ_ONLY'
          ? 'run the command as the user who owns the data folder, or fix its permissions'
          : 'check that the data folder exists and this user may read and write it (AGENTLOGS_HOME chooses another)',
      cause: error,
    });
  }
  if (isLocalStoreError(error)) {
    const hint =
      error.code === 'SQLITE_BUSY'
        ? 'wait for the other agentlogs process to finish, then run the command again'
        : error.code === 'SCHEMA_TOO_NEW'
          ? 'install the newer agentlogs that wrote this database'
          : error.code === 'DATABASE_DAMAGED'
            ? "move the file aside (keep it), then run 'agentlogs import' to rebuild it from your transcripts and 'agentlogs pull' to fetch what your other machines synced"
            : undefined;
    return new CliError(error.message, { exitCode: ExitCode.localStore, hint, cause: error });
  }
  return error;
}
