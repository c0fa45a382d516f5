import { isLocalStoreError, type LocalDatabase, openLocalDatabase } from '@agentlogs/local-store';
import { dataDir } from './config.js';
import type { CommandContext } from './context.js';
import { CliError, ExitCode } from './errors.js';

/** Opens (and migrates) the profile's local database, turning store failures into one-line CLI errors. */
export function openStore(ctx: Pick<CommandContext, 'home' | 'profile'>): LocalDatabase {
  try {
    return openLocalDatabase({ dir: dataDir(ctx) });
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
          : undefined;
    return new CliError(error.message, { exitCode: ExitCode.localStore, hint, cause: error });
  }
  return error;
}
