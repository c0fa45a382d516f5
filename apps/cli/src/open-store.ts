import { isLocalStoreError, type LocalDatabase, openLocalDatabase } from '@agentlogs/local-store';
import { type CommandContext, profileDir } from './context.js';
import { CliError, ExitCode } from './errors.js';

/**
 * Opens (and migrates) the profile's local database, turning store failures into one-line CLI errors.
 * Needs only the profile's directory, not its settings, so `stats` does not load the settings file reader.
 */
export function openStore(ctx: Pick<CommandContext, 'home' | 'profile'>): LocalDatabase {
  try {
    return openLocalDatabase({ dir: profileDir(ctx.home, ctx.profile) });
  } catch (error) {
    throw storeError(error);
  }
}

/** Maps a local-store error to a `CliError` (busy, too new, failed migration → exit 6). */
export function storeError(error: unknown): unknown {
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
