/**
 * Runs push, pull and sync once for a command: progress bars on a terminal, retries with backoff on
 * transient failures, the outcome stored for `sync status`, errors turned into one-line CLI errors.
 */
import { outboxEnvelopePages } from '@agentlogs/local-store';
import type { PullPreview, PushPreviewTable } from '@agentlogs/supabase-remote';
import {
  isSyncAbortedError,
  isSyncError,
  type PullReport,
  type PushReport,
  retrying,
  type SyncEvent,
} from '@agentlogs/sync-core';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { storeError } from '../open-store.js';
import { formatBytes, ProgressBar } from '../progress.js';
import { SYNC_TABLES, type SyncSession } from './session.js';
import { describeVisualUpload, uploadVisuals, type VisualUploadReport } from './visuals.js';

export type SyncOperation = 'push' | 'pull' | 'sync';

export interface OperationResult {
  operation: SyncOperation;
  ok: boolean;
  durationMs: number;
  /** pull → push rounds (`sync` only). */
  rounds?: number;
  pull?: PullReport;
  push?: PushReport;
  /** Records parked as dead letters after the run (all of them, not only this run's). */
  deadLetters: number;
  /** Records still waiting to be pushed after the run, per table. */
  pending: Record<string, number>;
  /** Images uploaded to the project's Storage after the push (`push` and `sync`). */
  visuals?: VisualUploadReport;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const int = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string, many = `${word}s`) => `${int(n)} ${n === 1 ? word : many}`;

/** Sleeps `ms`, or rejects when the command is interrupted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls `fn` under the session's retry policy (sync-core's `retrying`); says on stderr when it waits. */
export function withRetries<T>(
  ctx: CommandContext,
  session: Pick<SyncSession, 'retry'>,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  return retrying(fn, {
    policy: session.retry,
    signal: ctx.signal,
    sleep: (ms) => sleep(ms, ctx.signal),
    retryable: (error) =>
      isSyncError(error) && error.transient && !isSyncAbortedError(error) && !ctx.signal.aborted,
    onWait: ({ attempt, retries, delayMs, error }) =>
      ctx.err(
        `agentlogs ${what}: ${(error as Error).message}; retrying in ${(delayMs / 1000).toFixed(1)} s (retry ${attempt} of ${retries})`,
      ),
  });
}

/**
 * The text after a push or pull bar: rows moved of the rows expected, and the JSON size moved so far
 * (what `--json` reports as `bytes`), e.g. `12,000/74,707 rows, 18.3 MiB`.
 */
export function transferDetail(rows: number, totalRows: number, bytes: number): string {
  return `${int(rows)}/${int(Math.max(rows, totalRows))} rows, ${formatBytes(bytes)}`;
}

/** Runs one operation with progress and retries; stores its outcome; reports the machine's sync to the server. */
export async function runOperation(
  ctx: CommandContext,
  session: SyncSession,
  operation: SyncOperation,
  options: { quiet?: boolean } = {},
): Promise<OperationResult> {
  const { engine, store } = session;
  const started = Date.now();
  // Progress goes to a terminal only, and never with --json (`quiet`).
  const stderr = options.quiet ? { isTTY: false, write: () => true } : ctx.stderr;
  const pushBar = new ProgressBar(stderr as typeof ctx.stderr, 'pushing');
  const pullBar = new ProgressBar(stderr as typeof ctx.stderr, 'pulling');
  let pushTotal = sum(await store.pendingCounts(SYNC_TABLES));
  let pullTotal = 0;
  if (pullBar.enabled && operation !== 'push') {
    // Only for the bar: how many records are waiting on the server.
    try {
      const preview = await session.queries.pullPreview(await store.getCursor());
      pullTotal = preview.tables.reduce((n, t) => n + t.live + t.deleted, 0);
    } catch {
      // The run itself reports connection problems.
    }
  }
  const unsubscribe = engine.subscribe((event: SyncEvent) => {
    if (event.type === 'pushProgress') {
      pushTotal = Math.max(pushTotal, event.pushedRecords);
      pushBar.update(
        event.pushedRecords,
        pushTotal,
        transferDetail(event.pushedRecords, pushTotal, event.pushedBytes),
      );
    } else if (event.type === 'pullProgress') {
      pullTotal = Math.max(pullTotal, event.pulledRecords);
      pullBar.update(
        event.pulledRecords,
        pullTotal,
        transferDetail(event.pulledRecords, pullTotal, event.pulledBytes),
      );
    } else if (event.type === 'fullResync' && event.phase === 'start') {
      pullBar.done();
      ctx.err(
        'The server no longer holds some deletions this machine has not seen: downloading everything again.',
      );
    }
  });
  const signal = ctx.signal;
  const result: OperationResult = { operation, ok: false, durationMs: 0, deadLetters: 0, pending: {} };
  try {
    if (operation === 'push') {
      result.push = await withRetries(ctx, session, 'push', () => engine.push({ signal }));
    } else if (operation === 'pull') {
      result.pull = await withRetries(ctx, session, 'pull', () => engine.pull({ signal }));
    } else {
      const report = await withRetries(ctx, session, 'sync', () => engine.sync({ signal }));
      result.pull = report.pull;
      result.push = report.push;
      result.rounds = report.rounds;
    }
    if (operation !== 'pull')
      result.visuals = await uploadVisuals(ctx, session, { quiet: options.quiet === true });
    result.ok = true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failed = { at: new Date().toISOString(), ok: false, operation, error: message };
    try {
      if (operation !== 'pull') await store.recordOutcome('push', failed);
      if (operation !== 'push') await store.recordOutcome('pull', failed);
    } catch {
      // The original error matters more.
    }
    throw syncCliError(error, session);
  } finally {
    unsubscribe();
    pushBar.done();
    pullBar.done();
  }
  result.durationMs = Date.now() - started;
  result.deadLetters = (await store.listDeadLetters()).length;
  result.pending = await store.pendingCounts(SYNC_TABLES);
  const at = new Date().toISOString();
  if (result.push) {
    await store.recordOutcome('push', {
      at,
      ok: result.push.deadLettered === 0,
      operation,
      accepted: result.push.accepted,
      rejected: result.push.rejected,
      deadLettered: result.push.deadLettered,
      records: result.push.records,
      bytes: result.push.bytes,
    });
  }
  if (result.pull) {
    await store.recordOutcome('pull', {
      at,
      ok: true,
      operation,
      records: result.pull.records,
      applied: result.pull.applied,
      keptLocal: result.pull.keptLocal,
      cursor: result.pull.cursor,
      fullResync: result.pull.fullResync,
    });
  }
  try {
    // What other machines show of this one (the dashboard's sync page): when it last pushed and pulled, what it
    // still has to send, and the conflicts of this run by the side that won.
    const previous = async (kind: 'push' | 'pull') => (await store.lastOutcome(kind))?.at ?? null;
    await session.queries.machineSeen(session.machineId, {
      operation,
      pushed: result.push?.accepted ?? 0,
      pulled: result.pull?.records ?? 0,
      push_at: result.push ? at : await previous('push'),
      pull_at: result.pull ? at : await previous('pull'),
      pending: Object.values(result.pending).reduce((sum, n) => sum + n, 0),
      dead_letters: result.deadLetters,
      server_won: result.push?.rejected ?? 0,
      kept_local: result.pull?.keptLocal ?? 0,
    });
  } catch (error) {
    // Only `agentlogs machines` reads it; a project without the function still syncs.
    if (ctx.env.AGENTLOGS_DEBUG)
      ctx.err(`agentlogs: could not record the sync time: ${(error as Error).message}`);
  }
  return result;
}

/** Maps a sync failure to the CLI's one-line error and exit code (docs/cli.md). */
export function syncCliError(error: unknown, session?: Pick<SyncSession, 'project' | 'retry'>): unknown {
  if (error instanceof CliError) return error;
  if (!isSyncError(error)) return storeError(error);
  const url = session?.project.url ?? 'the project';
  switch (error.code) {
    case 'aborted':
      return new CliError(
        'interrupted; what was sent or received so far is kept, run the command again to continue',
        {
          exitCode: ExitCode.interrupted,
        },
      );
    case 'network':
    case 'timeout':
    case 'server_unavailable':
    case 'rate_limited':
      return new CliError(`${url} could not be reached: ${error.message}`, {
        exitCode: ExitCode.unavailable,
        hint: `nothing was lost; check your network and run the command again${
          session ? ` (gave up after ${session.retry.retries} retries)` : ''
        }`,
        cause: error,
      });
    case 'auth_required':
    case 'permission_denied':
      return new CliError(`${url} refused the session: ${error.message}`, {
        exitCode: ExitCode.auth,
        hint: "run 'agentlogs login' again",
        cause: error,
      });
    case 'not_allowed':
      return new CliError(`this account may not write to ${url}`, {
        exitCode: ExitCode.auth,
        hint: "ask the project's owner to run 'agentlogs access allow <your GitHub login>'",
        cause: error,
      });
    case 'schema_mismatch':
      return new CliError(`${url} does not have the agentlogs schema this version needs: ${error.message}`, {
        exitCode: ExitCode.config,
        hint: "apply it from the agentlogs repository: 'supabase link --project-ref <ref>' then 'supabase db push --remote'",
        cause: error,
      });
    default:
      return new CliError(`sync failed: ${error.message}`, { exitCode: ExitCode.failure, cause: error });
  }
}

// ---------------------------------------------------------------------------------------------- dry run

export interface PushPlan {
  records: number;
  /** Would be accepted (new + update + same). */
  accepted: number;
  /** The server's copy would win. */
  serverWins: number;
  tables: PushPreviewTable[];
}

export interface PullPlan {
  records: number;
  live: number;
  deleted: number;
  cursor: number;
  fullResync: boolean;
  tables: PullPreview['tables'];
}

export async function planPush(
  ctx: CommandContext,
  session: SyncSession,
  options: { all?: boolean } = {},
): Promise<PushPlan> {
  // The envelopes go to the server a page at a time (never the whole outbox in one request or in memory),
  // and the answers are summed per table.
  const totals = new Map<string, PushPreviewTable>();
  let records = 0;
  for await (const page of outboxEnvelopePages(session.database, {
    deviceId: session.device.deviceId,
    all: options.all,
  })) {
    records += page.length;
    const tables = await withRetries(ctx, session, 'push --dry-run', () =>
      session.queries.pushPreview(page, session.device.deviceId, { signal: ctx.signal }),
    );
    for (const t of tables) {
      const sum = totals.get(t.table) ?? { table: t.table, new: 0, update: 0, same: 0, serverWins: 0 };
      sum.new += t.new;
      sum.update += t.update;
      sum.same += t.same;
      sum.serverWins += t.serverWins;
      totals.set(t.table, sum);
    }
  }
  const ordered = SYNC_TABLES.map((t) => totals.get(t)).filter((t): t is PushPreviewTable => t !== undefined);
  return {
    records,
    accepted: ordered.reduce((n, t) => n + t.new + t.update + t.same, 0),
    serverWins: ordered.reduce((n, t) => n + t.serverWins, 0),
    tables: ordered,
  };
}

export async function planPull(ctx: CommandContext, session: SyncSession): Promise<PullPlan> {
  const cursor = await session.store.getCursor();
  const preview = await withRetries(ctx, session, 'pull --dry-run', () =>
    session.queries.pullPreview(cursor, { signal: ctx.signal }),
  );
  const live = preview.tables.reduce((n, t) => n + t.live, 0);
  const deleted = preview.tables.reduce((n, t) => n + t.deleted, 0);
  return {
    records: live + deleted,
    live,
    deleted,
    cursor: preview.cursor,
    fullResync: preview.fullResync,
    tables: preview.tables.filter((t) => t.live + t.deleted > 0),
  };
}

export function describePushPlan(plan: PushPlan, options: { pullFirst?: boolean } = {}): string[] {
  if (plan.records === 0) return ['Nothing to push.'];
  const wins = options.pullFirst
    ? `${int(plan.serverWins)} conflicts the server's copy wins (the pull replaces those local copies)`
    : `${int(plan.serverWins)} conflicts the server's copy wins`;
  const lines = [
    `Would push ${plural(plan.records, 'record')}: ${int(plan.accepted)} taken by the server, ${wins}.`,
  ];
  for (const t of plan.tables) {
    const parts = [`${int(t.new)} new`, `${int(t.update)} updated`];
    if (t.same > 0) parts.push(`${int(t.same)} already there`);
    if (t.serverWins > 0) parts.push(`${int(t.serverWins)} server wins`);
    lines.push(`  ${t.table.padEnd(18)} ${parts.join(', ')}`);
  }
  return lines;
}

export function describePullPlan(plan: PullPlan): string[] {
  if (plan.records === 0) return ['Nothing to pull: this machine has everything the server holds.'];
  const lines = [
    `Would pull ${plural(plan.records, 'record')} (${int(plan.live)} changed, ${int(plan.deleted)} deleted)${
      plan.fullResync ? ', downloading everything again (full resync)' : ''
    }.`,
  ];
  for (const t of plan.tables) {
    lines.push(`  ${t.table.padEnd(18)} ${int(t.live)} changed, ${int(t.deleted)} deleted`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------- summaries

export function describePush(push: PushReport): string {
  if (push.records === 0) return 'Nothing to push.';
  const parts = [`${int(push.accepted)} accepted`];
  parts.push(
    push.rejected > 0
      ? `${plural(push.rejected, 'conflict')} won by the server (its copy replaced the local one)`
      : '0 conflicts',
  );
  parts.push(`${int(push.deadLettered)} dead-lettered`);
  if (push.unresolved > 0) parts.push(`${int(push.unresolved)} left pending`);
  return `Pushed ${plural(push.records, 'record')} (${formatBytes(push.bytes)} in ${plural(push.batches, 'request')}): ${parts.join(', ')}.`;
}

export function describePull(pull: PullReport): string {
  if (pull.records === 0) return 'Pulled nothing: already up to date.';
  const kept = pull.keptLocal > 0 ? `, ${plural(pull.keptLocal, 'conflict')} kept the newer local copy` : '';
  return `Pulled ${plural(pull.records, 'record')} (${formatBytes(pull.bytes)}): ${int(pull.applied)} applied${kept}${
    pull.fullResync ? ' (full resync)' : ''
  }.`;
}

/** The human summary of a run, one line per part, plus what is left. */
export function describeResult(result: OperationResult): string[] {
  const lines: string[] = [];
  if (result.pull) lines.push(describePull(result.pull));
  if (result.push) lines.push(describePush(result.push));
  const images = result.visuals ? describeVisualUpload(result.visuals) : null;
  if (images) lines.push(images);
  const pending = sum(result.pending);
  const tail: string[] = [];
  if (pending > 0) tail.push(`${plural(pending, 'record')} still pending`);
  if (result.deadLetters > 0)
    tail.push(`${plural(result.deadLetters, 'dead letter')} (see 'agentlogs sync status')`);
  lines.push(
    `${result.operation === 'sync' ? `Sync done in ${plural(result.rounds ?? 1, 'round')}` : 'Done'}, ${(result.durationMs / 1000).toFixed(1)} s${
      tail.length > 0 ? `; ${tail.join(', ')}` : ''
    }.`,
  );
  return lines;
}

/** Exit code of a finished run: 1 when records were parked as dead letters (the goal was not fully reached). */
export function resultExitCode(result: OperationResult): number {
  return (result.push?.deadLettered ?? 0) > 0 ? ExitCode.failure : ExitCode.ok;
}
