import os from 'node:os';
import path from 'node:path';
import {
  adoptLegacyDatabase,
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

/**
 * Opens (and migrates) the profile's local database, turning store failures into one-line CLI errors.
 * Needs only the profile's directory, not its settings, so `stats` does not load the settings file reader.
 * The default profile adopts the database of an earlier agentlogs release found at `~/.agentlogs/global/data.db`
 * the first time (docs/decisions/0014-adopting-legacy-databases.md), saying so once on stderr.
 */
export function openStore(
  ctx: Pick<CommandContext, 'home' | 'profile'> & Partial<Pick<CommandContext, 'env' | 'err'>>,
): LocalDatabase {
  const dir = profileDir(ctx.home, ctx.profile);
  let store: LocalDatabase;
  try {
    store = openLocalDatabase({ dir });
  } catch (error) {
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
