/**
 * Everything a sync command needs, wired together: the logged-in project, this machine, the local database
 * as sync-core's `LocalStore`, the project as its `Remote`, and the engine.
 */
import { type LocalDatabase, recordMachine, SqliteSyncStore, SYNCED_TABLES } from '@agentlogs/local-store';
import { rowId } from '@agentlogs/schema';
import type { ProjectRpc } from '@agentlogs/supabase-remote';
import {
  defaultRetryPolicy,
  type RetryPolicy,
  SyncEngine,
  type SyncEngineOptions,
} from '@agentlogs/sync-core';
import {
  openLoggedInProject,
  ProfileConfig,
  type ProjectConnection,
  quickReachabilityCheck,
} from '../config.js';
import type { CommandContext } from '../context.js';
import { type Device, loadDevice } from '../device.js';
import { CliError, ExitCode } from '../errors.js';
import { applyBatchHeapPolicy } from '../heap-policy.js';
import { openStore, storeError } from '../open-store.js';
import { assertServerSchema } from '../schema/check.js';
import { type EncryptionState, resolveEncryption, retireStaleKey, storeEncryption } from './encryption.js';
import { type ResolvedContentPolicy, resolveContentPolicy } from './policy.js';

/** The tables sync moves, parents first. */
export const SYNC_TABLES: readonly string[] = SYNCED_TABLES;

export interface SyncSession {
  project: ProjectConnection;
  device: Device;
  machineId: string;
  database: LocalDatabase;
  store: SqliteSyncStore;
  engine: SyncEngine;
  /** The project's functions besides push and pull (dry-run previews, the machines list). */
  queries: ProjectRpc;
  /** The retry policy from the environment (sync-core's backoff, the number of retries). */
  retry: RetryPolicy;
  /** What leaves this machine (`sync.content`, `sync.redact.patterns`, `sync.exclude`, encryption). */
  content: ResolvedContentPolicy;
  /** Whether the account encrypts and this machine holds the key (docs/privacy.md). */
  encryption: EncryptionState;
  close(): Promise<void>;
}

const FALSE = new Set(['0', 'false', 'no', 'off']);
const TRUE = new Set(['1', 'true', 'yes', 'on']);

/**
 * `AGENTLOGS_SYNC_ENABLED=false` turns every network sync off, as does `sync.enabled=false` in the profile
 * (`agentlogs sync disable`) when the variable is unset. Throws the one-line error commands print;
 * a value that is neither true nor false is a configuration error, never silently taken as either.
 */
export function assertSyncEnabled(
  ctx: Pick<CommandContext, 'env' | 'home' | 'profile'>,
  commandName: string,
): void {
  const raw = ctx.env.AGENTLOGS_SYNC_ENABLED;
  if (raw === undefined || raw.trim() === '') {
    if (new ProfileConfig(ctx).get('sync.enabled').value === 'false') {
      const profile = ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`;
      throw new CliError(
        `sync is turned off for this profile ('agentlogs sync disable'); '${commandName}' did nothing`,
        {
          exitCode: ExitCode.config,
          hint: `run 'agentlogs sync enable${profile}' to sync again; local commands keep working`,
        },
      );
    }
    return;
  }
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return;
  if (FALSE.has(value)) {
    throw new CliError(`sync is turned off (AGENTLOGS_SYNC_ENABLED=${raw}); '${commandName}' did nothing`, {
      exitCode: ExitCode.config,
      hint: 'unset AGENTLOGS_SYNC_ENABLED (or set it to true) to sync; local commands keep working',
    });
  }
  throw new CliError(`AGENTLOGS_SYNC_ENABLED must be true or false, got "${raw}"`, {
    exitCode: ExitCode.config,
    hint: 'set it to true or false, or unset it',
  });
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(`${name} must be a whole number of at least ${min}, got "${raw}"`, {
      exitCode: ExitCode.config,
      hint: `fix or unset ${name}`,
    });
  }
  return n;
}

/**
 * Retry and timing settings read from the environment (documented in docs/cli.md). A command run by hand
 * retries a failure that may pass (a dropped connection, a 503) twice within seconds, then says what failed;
 * the long backoff (15 s doubling up to 5 min) belongs to `sync --watch`, which has time to wait.
 */
export function syncTimings(
  env: NodeJS.ProcessEnv,
  mode: { watch?: boolean } = {},
): {
  retries: number;
  backoff: Pick<RetryPolicy, 'baseMs' | 'maxMs'>;
  pollIntervalMs: number;
  debounceMs: number;
  scanIntervalMs: number;
  batchSize: number;
} {
  const watch = mode.watch === true;
  const baseMs = positiveInt(env, 'AGENTLOGS_SYNC_BACKOFF_MS', watch ? 15_000 : 1_000, 1);
  return {
    retries: positiveInt(env, 'AGENTLOGS_SYNC_RETRIES', watch ? 4 : 2),
    backoff: {
      baseMs,
      maxMs: Math.max(baseMs, positiveInt(env, 'AGENTLOGS_SYNC_BACKOFF_MAX_MS', watch ? 300_000 : 4_000, 1)),
    },
    pollIntervalMs: positiveInt(env, 'AGENTLOGS_SYNC_PULL_INTERVAL_MS', 30_000, 1),
    debounceMs: positiveInt(env, 'AGENTLOGS_SYNC_DEBOUNCE_MS', 500),
    scanIntervalMs: positiveInt(env, 'AGENTLOGS_WATCH_SCAN_MS', 10_000, 1),
    batchSize: positiveInt(env, 'AGENTLOGS_SYNC_BATCH_SIZE', 500, 1),
  };
}

/**
 * Opens a sync session: refuses when sync is turned off or the user is not logged in (exit 4), opens the
 * local database, and makes sure this machine's `machines` row exists with its current name (so other
 * machines show it by name after a pull).
 */
export async function openSyncSession(
  ctx: CommandContext,
  commandName: string,
  engineOptions: Partial<SyncEngineOptions> = {},
  options: { dryRun?: boolean; watch?: boolean } = {},
): Promise<SyncSession> {
  assertSyncEnabled(ctx, commandName);
  const timings = syncTimings(ctx.env, { watch: options.watch === true });
  const project = await openLoggedInProject(ctx);
  const queries = new project.remote.ProjectRpc(project.client);
  const { device, machineId, database, store } = openLocalSyncStore(ctx);
  if (options.watch !== true) {
    // By hand, a project that cannot be reached is reported in seconds; the watch waits for it instead.
    const unreachable = await quickReachabilityCheck(project);
    if (unreachable) {
      if (options.dryRun !== true) {
        const failed = {
          at: new Date().toISOString(),
          ok: false,
          operation: commandName,
          error: unreachable.message,
        };
        try {
          if (commandName !== 'pull') await store.recordOutcome('push', failed);
          if (commandName !== 'push') await store.recordOutcome('pull', failed);
        } catch {
          // the failure to reach the project matters more
        }
      }
      await database.close();
      throw unreachable;
    }
  }
  try {
    // After the reachability check, so an unreachable project is named in seconds, not after this check's timeout.
    await assertServerSchema(ctx, project.url, queries);
  } catch (error) {
    await database.close();
    throw error;
  }
  let content: ResolvedContentPolicy;
  let encryption: EncryptionState;
  try {
    // A dry run records nothing: neither the profile's level nor a change of level.
    content = await resolveContentPolicy(ctx, store, { record: options.dryRun !== true });
    const { syncCliError, withRetries } = await import('./run.js');
    const retry = { ...defaultRetryPolicy, ...timings.backoff, retries: timings.retries };
    try {
      // Whether the account encrypts decides what may leave: asked before anything is sent, with the retries
      // of the run itself; unanswered, nothing is sent and the run fails as a push would.
      encryption = await withRetries(ctx, { retry }, commandName, () => resolveEncryption(ctx, queries));
    } catch (error) {
      const failed = {
        at: new Date().toISOString(),
        ok: false,
        operation: commandName,
        error: error instanceof Error ? error.message : String(error),
      };
      try {
        if (options.dryRun !== true && commandName !== 'pull') await store.recordOutcome('push', failed);
        if (options.dryRun !== true && commandName !== 'push') await store.recordOutcome('pull', failed);
      } catch {
        // The original error matters more.
      }
      throw syncCliError(error, { project, retry });
    }
    const encrypt = storeEncryption(encryption);
    content = { ...content, ...(encrypt ? { encryption: encrypt } : {}) };
    store.setContentPolicy(content);
    if (encryption.state === 'off' && options.dryRun !== true && commandName !== 'encryption disable') {
      // Encryption turned off for the account while this machine held the key.
      const notice = retireStaleKey(ctx, store, content);
      if (notice) ctx.err(notice);
    }
    if (options.dryRun !== true) {
      // Fields pulled while this machine was locked become readable once it holds the key.
      if (encryption.state === 'on' && store.uploadedForm() === 'locked') store.openLockedFields();
      // A change of level or of encryption queues the records uploaded before, to replace the server's copy.
      await store.recordContentLevel(content.level, encrypt);
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  try {
    await recordMachine(store, {
      id: machineId,
      deviceId: device.deviceId,
      name: device.name,
      hostname: device.hostname,
      platform: device.platform,
    });
  } catch (error) {
    await database.close();
    throw storeError(database.translateError(error));
  }
  applyBatchHeapPolicy();
  const remote = new project.remote.SupabaseRemote(project.client);
  const engine = new SyncEngine({
    store,
    remote,
    tables: SYNC_TABLES,
    backoff: timings.backoff,
    debounceMs: timings.debounceMs,
    batchSize: timings.batchSize,
    ...engineOptions,
  });
  return {
    project,
    device,
    machineId,
    database,
    store,
    engine,
    queries,
    retry: { ...defaultRetryPolicy, ...timings.backoff, retries: timings.retries },
    content,
    encryption,
    close: () => database.close(),
  };
}

/** This machine and its local database as sync sees it (no network). Close `database` when done. */
export function openLocalSyncStore(
  ctx: CommandContext,
  access: 'read' | 'write' = 'write',
): {
  device: Device;
  machineId: string;
  database: LocalDatabase;
  store: SqliteSyncStore;
} {
  const device = loadDevice(ctx.home, ctx.env, new ProfileConfig(ctx).get('machine.name').value);
  const machineId = rowId.machine(device.deviceId);
  const database = openStore(ctx, { access });
  try {
    const store = new SqliteSyncStore(database, { deviceId: device.deviceId, machineId });
    return { device, machineId, database, store };
  } catch (error) {
    void database.close();
    throw storeError(database.translateError(error));
  }
}
