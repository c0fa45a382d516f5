/**
 * `agentlogs sync --watch`: keeps this machine in sync until stopped. Watches the transcript folders
 * (recursive `fs.watch`, plus a periodic scan because watchers miss events on some file systems and after
 * sleep), imports new lines, and lets the sync engine's continuous mode push them (debounced) and pull on a
 * timer, backing off on errors. Ctrl-C or SIGTERM stops it after the request in flight.
 */
import { type FSWatcher, watch } from 'node:fs';
import { importTranscripts } from '@agentlogs/ingest';
import type { ServerChangeHint } from '@agentlogs/supabase-remote';
import type { SyncEvent, SyncState } from '@agentlogs/sync-core';
import type { ParsedArgs } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { transcriptRoots } from '../transcript-roots.js';
import { lockedNotice } from './encryption.js';
import { syncCliError } from './run.js';
import { openSyncSession, syncTimings } from './session.js';
import { describeVisualUpload, uploadVisuals } from './visuals.js';

/** States in which no request is in flight: stopping there loses nothing. */
const RESTING: ReadonlySet<SyncState> = new Set(['idle', 'backingOff', 'offline', 'failed', 'stopped']);
/** Longest wait for the request in flight when stopping. */
const STOP_GRACE_MS = 30_000;
/** How often an idle watch tells the server it is still syncing (shown by `agentlogs machines`). */
const SEEN_INTERVAL_MS = 5 * 60_000;

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

/** How old the newest snapshot may be before `sync --watch` takes the day's (a little under a day). */
const BACKUP_EVERY_MS = 23 * 3_600_000;

export async function runWatch(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const roots = transcriptRoots(ctx, args);
  const timings = syncTimings(ctx.env, { watch: true });
  const session = await openSyncSession(
    ctx,
    'sync --watch',
    { pollIntervalMs: timings.pollIntervalMs },
    { watch: true },
  );
  const { engine, database, device } = session;
  const log = (line: string) => ctx.err(`[${stamp()}] ${line}`);
  const locked = lockedNotice(session.encryption);
  if (locked) log(locked);

  let stopping = false;
  let importTimer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];

  const importNow = () => {
    importTimer = undefined;
    if (stopping) return;
    try {
      const result = importTranscripts(database, {
        roots: roots.byAgent,
        deviceId: device.deviceId,
        machineId: session.machineId,
        machine: { name: device.name, hostname: device.hostname, platform: device.platform },
      });
      const changed = result.turnsAdded + result.turnsUpdated + result.sessionsAdded + result.commitsAdded;
      if (changed > 0) {
        log(
          `imported ${result.turnsAdded} new turns, ${result.turnsUpdated} updated, ${result.sessionsAdded} new sessions`,
        );
        engine.notifyLocalChange();
      }
      for (const f of result.filesFailed) log(`could not import ${f.path}: ${f.error}`);
    } catch (error) {
      log(`import failed: ${(error as Error).message}; trying again at the next change`);
    }
  };
  const scheduleImport = (delayMs: number) => {
    if (stopping || importTimer) return;
    importTimer = setTimeout(importNow, delayMs);
  };

  for (const root of roots.all) {
    try {
      const watcher = watch(root, { recursive: true }, (_event, file) => {
        if (!file || /\.jsonl?$/.test(String(file))) scheduleImport(100);
      });
      watcher.on('error', (error) =>
        log(`watching ${root} stopped (${error.message}); the periodic scan goes on`),
      );
      watchers.push(watcher);
    } catch (error) {
      log(
        `cannot watch ${root} (${(error as Error).message}); scanning it every ${timings.scanIntervalMs / 1000} s`,
      );
    }
  }
  const scan = setInterval(() => scheduleImport(0), timings.scanIntervalMs);

  // A dated snapshot of the local database once a day (`agentlogs backup`, with its retention), checked hourly;
  // AGENTLOGS_WATCH_BACKUP=false leaves it to the user.
  const backupIfDue = async () => {
    if (/^(0|false|no|off)$/i.test(ctx.env.AGENTLOGS_WATCH_BACKUP ?? '')) return;
    try {
      const { backupDir, listBackups, takeBackup } = await import('../commands/backup.js');
      const newest = listBackups(backupDir(ctx))[0];
      if (newest && Date.now() - newest.at.getTime() < BACKUP_EVERY_MS) return;
      const taken = await takeBackup(ctx, { daily: 7, weekly: 4 });
      log(`backed up the local database to ${taken.file}`);
    } catch (error) {
      log(`daily backup failed: ${(error as Error).message}`);
    }
  };
  const backupTimer = setInterval(() => void backupIfDue(), 3_600_000);
  backupTimer.unref();
  void backupIfDue();

  // What happened since the engine last rested, for one summary line per round.
  let pushed = 0;
  let pulled = 0;
  let serverWon = 0;
  let lastState: SyncState = engine.state;
  let fatal: unknown;
  let lastSeenReported = 0;
  let imageUpload: Promise<void> | null = null;
  const restingWaiters: (() => void)[] = [];
  const unsubscribe = engine.subscribe((event: SyncEvent) => {
    if (event.type === 'pushProgress') {
      pushed += event.accepted + event.rejected;
      serverWon += event.rejected;
    } else if (event.type === 'pullProgress') pulled += event.records;
    else if (event.type === 'retryScheduled') {
      log(`sync failed (${event.error.message}); retrying in ${(event.delayMs / 1000).toFixed(1)} s`);
    } else if (event.type === 'deadLettered') {
      for (const l of event.letters)
        log(`the server refused ${l.table}/${l.id} (${l.code}: ${l.message}); parked as a dead letter`);
    } else if (event.type === 'error') {
      fatal = event.error;
    } else if (event.type === 'state') {
      lastState = event.to;
      if (event.to === 'idle') {
        if (pushed + pulled > 0) log(`synced: pushed ${pushed}, pulled ${pulled}`);
        const at = new Date().toISOString();
        // push_at, pull_at and server_won are what other machines' dashboards show of this one.
        const outcome = {
          at,
          ok: true,
          operation: 'watch',
          pushed,
          pulled,
          push_at: at,
          pull_at: at,
          server_won: serverWon,
        };
        const moved = pushed + pulled > 0;
        pushed = 0;
        pulled = 0;
        serverWon = 0;
        void session.store.recordOutcome('push', outcome).catch(() => undefined);
        void session.store.recordOutcome('pull', outcome).catch(() => undefined);
        // Images of what was pushed go to Storage once each (at content level full), one upload run at a time.
        if (moved && !imageUpload) {
          imageUpload = uploadVisuals(ctx, session, { quiet: true })
            .then((report) => {
              const line = describeVisualUpload(report);
              if (line && report.uploaded + report.present > 0) log(line);
            })
            .catch((error: unknown) =>
              log(`images not uploaded: ${(error as Error).message}; retried after the next push`),
            )
            .finally(() => {
              imageUpload = null;
            });
        }
        // The server's "last sync" of this machine: after every round that moved data, else every few minutes.
        if (moved || Date.now() - lastSeenReported > SEEN_INTERVAL_MS) {
          lastSeenReported = Date.now();
          void session.queries.machineSeen(session.machineId, outcome).catch(() => undefined);
        }
      }
      if (event.to === 'failed') {
        log(`sync stopped: ${(fatal as Error)?.message ?? 'a permanent error'}`);
        finish();
      }
      if (RESTING.has(event.to)) for (const wake of restingWaiters.splice(0)) wake();
    }
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  function finish() {
    if (stopping) return;
    stopping = true;
    resolveDone();
  }
  const onSigterm = () => {
    log('stopping after the request in flight');
    finish();
  };
  process.on('SIGTERM', onSigterm);
  ctx.signal.addEventListener('abort', finish, { once: true });

  log(
    `watching ${roots.all.length > 0 ? roots.all.join(', ') : 'no transcript folder (none found)'}; syncing with ${session.project.url} as ${device.name}; Ctrl-C to stop`,
  );
  let hint: ServerChangeHint | undefined;
  const userId = session.project.storedSession()?.user?.id;
  if (userId && !/^(0|false|no|off)$/i.test(ctx.env.AGENTLOGS_SYNC_REALTIME ?? '')) {
    hint = session.project.remote.listenForServerChanges(
      session.project.client,
      userId,
      () => engine.notifyRemoteChange(),
      log,
    );
  }
  importNow();
  engine.start();
  if (ctx.signal.aborted) finish();
  await done;

  // Stop: no new work, let the request in flight finish (bounded), then stop the engine.
  if (importTimer) clearTimeout(importTimer);
  clearInterval(scan);
  clearInterval(backupTimer);
  for (const w of watchers) w.close();
  process.off('SIGTERM', onSigterm);
  if (!RESTING.has(lastState)) {
    await Promise.race([
      new Promise<void>((resolve) => restingWaiters.push(resolve)),
      new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref()),
    ]);
  }
  await engine.stop();
  await imageUpload;
  await hint?.stop().catch(() => undefined);
  unsubscribe();
  await session.close();
  if (fatal !== undefined) {
    const error = syncCliError(fatal, session);
    if (error instanceof CliError) throw error;
    throw fatal;
  }
  log('stopped');
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}
