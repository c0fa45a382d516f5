/**
 * Everything a sync command needs, wired together: the logged-in project, this machine, the local database
 * as sync-core's `LocalStore`, the project as its `Remote`, and the engine.
 */
import { rowId } from '@agentlogs/ingest';
import { type LocalDatabase, SqliteSyncStore, SYNCED_TABLES } from '@agentlogs/local-store';
import { type BackoffPolicy, SyncEngine, type SyncEngineOptions } from '@agentlogs/sync-core';
import { openLoggedInProject, ProfileConfig, type ProjectConnection } from '../config.js';
import type { CommandContext } from '../context.js';
import { type Device, loadDevice } from '../device.js';
import { CliError, ExitCode } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { ProjectQueries } from './server.js';

/** The tables sync moves, parents first. */
export const SYNC_TABLES: readonly string[] = SYNCED_TABLES;

export interface SyncSession {
  project: ProjectConnection;
  device: Device;
  machineId: string;
  database: LocalDatabase;
  store: SqliteSyncStore;
  engine: SyncEngine;
  queries: ProjectQueries;
  /** The retry policy from the environment. */
  retry: { retries: number; backoff: Partial<BackoffPolicy> };
  close(): Promise<void>;
}

const FALSE = new Set(['0', 'false', 'no', 'off']);
const TRUE = new Set(['1', 'true', 'yes', 'on']);

/**
 * `AGENTLOGS_SYNC_ENABLED=false` turns every network sync off. Throws the one-line error commands print;
 * a value that is neither true nor false is a configuration error, never silently taken as either.
 */
export function assertSyncEnabled(ctx: Pick<CommandContext, 'env'>, commandName: string): void {
  const raw = ctx.env.AGENTLOGS_SYNC_ENABLED;
  if (raw === undefined || raw.trim() === '') return;
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

/** Retry and timing settings read from the environment (documented in docs/cli.md). */
export function syncTimings(env: NodeJS.ProcessEnv): {
  retries: number;
  backoff: Partial<BackoffPolicy>;
  pollIntervalMs: number;
  debounceMs: number;
  scanIntervalMs: number;
  batchSize: number;
} {
  const baseMs = positiveInt(env, 'AGENTLOGS_SYNC_BACKOFF_MS', 15_000, 1);
  return {
    retries: positiveInt(env, 'AGENTLOGS_SYNC_RETRIES', 4),
    backoff: {
      baseMs,
      maxMs: Math.max(baseMs, positiveInt(env, 'AGENTLOGS_SYNC_BACKOFF_MAX_MS', 300_000, 1)),
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
): Promise<SyncSession> {
  assertSyncEnabled(ctx, commandName);
  const timings = syncTimings(ctx.env);
  const project = await openLoggedInProject(ctx);
  const { device, machineId, database, store } = openLocalSyncStore(ctx);
  try {
    await recordThisMachine(database, store, device, machineId);
  } catch (error) {
    await database.close();
    throw storeError(database.translateError(error));
  }
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
    queries: new ProjectQueries(project.client),
    retry: { retries: timings.retries, backoff: timings.backoff },
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

/** Creates this machine's `machines` row, or renames it (a new version) when `machine.name` changed. */
async function recordThisMachine(
  database: LocalDatabase,
  store: SqliteSyncStore,
  device: Device,
  machineId: string,
): Promise<void> {
  const row = database.sqlite.prepare('select name, deleted_at from machines where id = ?').get(machineId) as
    | { name: string | null; deleted_at: string | null }
    | undefined;
  if (!row) {
    const now = new Date().toISOString();
    database.sqlite
      .prepare(
        `insert into machines (id, name, hostname, platform, last_seen_at, version, updated_at, device_id, machine_id)
         values (?, ?, ?, ?, ?, 1, ?, ?, ?) on conflict (id) do nothing`,
      )
      .run(machineId, device.name, device.hostname, device.platform, now, now, device.deviceId, machineId);
  } else if (row.deleted_at === null && row.name !== device.name) {
    await store.editRecord('machines', machineId, { name: device.name });
  }
}
