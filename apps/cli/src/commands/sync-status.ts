import type { DeadLetter } from '@agentlogs/sync-core';
import type { Command, OptionsOf } from '../command.js';
import { openLoggedInProject, openProject } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { resolveContentPolicy } from '../sync/policy.js';
import { describeQuota, profilePlan, type QuotaReport, quotaReport } from '../sync/quota.js';
import { assertSyncEnabled, openLocalSyncStore, SYNC_TABLES } from '../sync/session.js';
import type { specs } from './index.js';

export interface SyncStatusReport {
  profile: string;
  sync_enabled: boolean;
  project_url: string | null;
  logged_in: boolean;
  user: { id: string; email: string | null; github_login: string | null } | null;
  machine: { id: string; name: string; device_id: string };
  cursor: number;
  last_push: Record<string, unknown> | null;
  last_pull: Record<string, unknown> | null;
  pending: Record<string, number>;
  pending_total: number;
  dead_letters: DeadLetter[];
  /** Conflicts of the last push (server won) and pull (local copy kept). */
  conflicts: { server_won: number; kept_local: number };
  connection: { checked: boolean; ok: boolean; message: string; waiting_to_pull: number | null };
  /** This user's footprint in the cloud (measured by the server) against `sync.plan`; null when not checked. */
  quota: QuotaReport | null;
  /** What leaves this machine (docs/privacy.md). */
  content: {
    level: string | null;
    /** Where the level comes from: env, profile, or default (not yet recorded: recorded at the next sync). */
    source: string | null;
    encryption: boolean;
    excluded_sessions: number;
    /** Set when the content settings cannot be used (the sync refuses until they are fixed). */
    error: string | null;
  };
}

async function buildStatus(ctx: CommandContext): Promise<SyncStatusReport> {
  const { device, machineId, database, store } = openLocalSyncStore(ctx, 'read');
  let local: Pick<
    SyncStatusReport,
    'cursor' | 'last_push' | 'last_pull' | 'pending' | 'dead_letters' | 'content'
  >;
  try {
    let content: SyncStatusReport['content'];
    try {
      const policy = await resolveContentPolicy(ctx, store, { record: false });
      store.setContentPolicy(policy);
      content = {
        level: policy.level,
        source: policy.source,
        encryption: false,
        excluded_sessions: store.excludedSessionCount(),
        error: null,
      };
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      content = { level: null, source: null, encryption: false, excluded_sessions: 0, error: error.message };
    }
    local = {
      content,
      cursor: await store.getCursor(),
      last_push: (await store.lastOutcome('push')) ?? null,
      last_pull: (await store.lastOutcome('pull')) ?? null,
      pending: await store.pendingCounts(SYNC_TABLES),
      dead_letters: await store.listDeadLetters(),
    };
  } finally {
    await database.close();
  }
  let enabled = true;
  let disabledMessage = '';
  try {
    assertSyncEnabled(ctx, 'sync status');
  } catch (error) {
    enabled = false;
    disabledMessage = (error as Error).message;
  }
  const report: SyncStatusReport = {
    profile: ctx.profile,
    sync_enabled: enabled,
    project_url: null,
    logged_in: false,
    user: null,
    machine: { id: machineId, name: device.name, device_id: device.deviceId },
    ...local,
    pending_total: Object.values(local.pending).reduce((a, b) => a + b, 0),
    conflicts: {
      server_won: Number(local.last_push?.rejected ?? 0),
      kept_local: Number(local.last_pull?.keptLocal ?? 0),
    },
    connection: { checked: false, ok: false, message: '', waiting_to_pull: null },
    quota: null,
  };
  let project: Awaited<ReturnType<typeof openProject>>;
  try {
    project = await openProject(ctx);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.config) {
      report.connection.message = `${error.message}${error.hint ? ` (${error.hint})` : ''}`;
      return report;
    }
    throw error;
  }
  report.project_url = project.url;
  const stored = project.storedSession();
  if (stored?.user?.id) {
    const meta = stored.user.user_metadata ?? {};
    const login = [meta.user_name, meta.preferred_username].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    report.logged_in = true;
    report.user = { id: stored.user.id, email: stored.user.email ?? null, github_login: login ?? null };
  }
  if (!enabled) {
    report.connection.message = disabledMessage;
    return report;
  }
  if (!report.logged_in) {
    report.connection.message = `not logged in: run 'agentlogs login'${ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`}`;
    return report;
  }
  report.connection.checked = true;
  try {
    const connected = await openLoggedInProject(ctx);
    const preview = await new connected.remote.ProjectRpc(connected.client).pullPreview(report.cursor, {
      timeoutMs: 15_000,
    });
    report.connection.ok = true;
    report.connection.waiting_to_pull = preview.tables.reduce((n, t) => n + t.live + t.deleted, 0);
    report.connection.message = 'reachable, session valid';
    try {
      const footprint = await new connected.remote.ProjectRpc(connected.client).footprint({
        timeoutMs: 15_000,
      });
      report.quota = quotaReport(footprint, profilePlan(ctx));
    } catch {
      // A project without sync_footprint (an older schema) still syncs; the quota is left out.
    }
  } catch (error) {
    report.connection.message = error instanceof Error ? error.message : String(error);
  }
  return report;
}

function when(outcome: Record<string, unknown> | null): string {
  if (!outcome) return 'never';
  const at = typeof outcome.at === 'string' ? outcome.at : '?';
  if (outcome.ok === false && typeof outcome.error === 'string') return `${at}, failed: ${outcome.error}`;
  const counts = ['accepted', 'rejected', 'deadLettered', 'records', 'applied', 'keptLocal']
    .filter((k) => typeof outcome[k] === 'number')
    .map((k) => `${k} ${outcome[k]}`);
  return `${at}, ${outcome.ok === false ? 'with dead letters' : 'ok'}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}`;
}

export function printStatus(ctx: CommandContext, r: SyncStatusReport): void {
  const user = r.user ? (r.user.github_login ?? r.user.email ?? r.user.id) : 'not logged in';
  ctx.out(`Sync:          ${r.sync_enabled ? 'on' : 'off (AGENTLOGS_SYNC_ENABLED)'}`);
  ctx.out(`User:          ${user}`);
  ctx.out(`Machine:       ${r.machine.name} (${r.machine.id})`);
  ctx.out(`Backend:       ${r.project_url ?? 'not configured'}`);
  ctx.out(`Profile:       ${r.profile}`);
  ctx.out(`Last push:     ${when(r.last_push)}`);
  ctx.out(`Last pull:     ${when(r.last_pull)}`);
  ctx.out(
    `Conflicts:     ${r.conflicts.server_won} won by the server (last push), ${r.conflicts.kept_local} kept locally (last pull)`,
  );
  const content = r.content.error
    ? `unusable settings: ${r.content.error}`
    : `${r.content.level}${r.content.source === 'default' ? ' (default, recorded at the next sync)' : ''}`;
  ctx.out(`Content:       ${content}`);
  ctx.out(`Encryption:    ${r.content.encryption ? 'on' : 'off'}`);
  ctx.out(
    `Excluded:      ${r.content.excluded_sessions === 0 ? 'no sessions' : `${r.content.excluded_sessions} sessions (sync.exclude)`}`,
  );
  ctx.out(`Pending:       ${r.pending_total === 0 ? 'nothing' : `${r.pending_total} records`}`);
  for (const [table, n] of Object.entries(r.pending)) if (n > 0) ctx.out(`  ${table.padEnd(18)} ${n}`);
  ctx.out(`Dead letters:  ${r.dead_letters.length}`);
  for (const d of r.dead_letters.slice(0, 10))
    ctx.out(`  ${d.table}/${d.id} v${d.version}: ${d.code} ${d.message}`);
  if (r.dead_letters.length > 10) ctx.out(`  … and ${r.dead_letters.length - 10} more (--json lists all)`);
  const connection = r.connection.checked
    ? r.connection.ok
      ? `${r.connection.message}; ${r.connection.waiting_to_pull} records waiting to be pulled`
      : `FAILED: ${r.connection.message}`
    : `not checked: ${r.connection.message}`;
  ctx.out(`Connection:    ${connection}`);
  if (r.quota) for (const line of describeQuota(r.quota)) ctx.out(line);
}

export async function runSyncStatus(ctx: CommandContext, json: boolean): Promise<number> {
  const report = await buildStatus(ctx);
  if (json) ctx.out(JSON.stringify(report, null, 2));
  else printStatus(ctx, report);
  return report.connection.checked && !report.connection.ok ? ExitCode.unavailable : ExitCode.ok;
}

export const syncStatusCommand: Command<OptionsOf<(typeof specs)['sync status']>> = {
  name: 'sync status',
  run: (ctx, args) => runSyncStatus(ctx, args.values.json === true),
};
