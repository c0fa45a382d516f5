import { type SearchStatus, searchStatus } from '@agentlogs/local-store';
import type { DeadLetter } from '@agentlogs/sync-core';
import type { Command, OptionsOf } from '../command.js';
import { openLoggedInProject, openProject } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { readCachedKey } from '../sync/encryption.js';
import { resolveContentPolicy } from '../sync/policy.js';
import { describeQuota, profilePlan, type QuotaReport, quotaReport } from '../sync/quota.js';
import { assertSyncEnabled, openLocalSyncStore, SYNC_TABLES } from '../sync/session.js';
import type { specs } from './index.js';

export interface SyncStatusReport {
  profile: string;
  /** The full-text search index: its size, the turns it covers, sessions whose locked text it cannot hold. */
  search: SearchStatus;
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
    /** Encryption is on (this machine holds a key, or uploaded encrypted or locked before). */
    encryption: boolean;
    /** `on` (holds the key), `locked` (encryption is on, no key here: no text leaves) or `off`, as last synced. */
    encryption_state: 'on' | 'locked' | 'off';
    /** Fields held here encrypted, unreadable until `agentlogs encryption unlock`. */
    locked_fields: number;
    excluded_sessions: number;
    /** Set when the content settings cannot be used (the sync refuses until they are fixed). */
    error: string | null;
  };
  /** Transcripts Claude Code deletes within 7 days that are not imported (null: could not be told). */
  retention_at_risk: number | null;
}

/** Encryption as this machine knows it without asking the server: its key file, and how it last uploaded. */
function localEncryptionState(
  ctx: CommandContext,
  uploadedAs: string | undefined,
): SyncStatusReport['content']['encryption_state'] {
  if (readCachedKey(ctx) !== undefined) return 'on';
  return uploadedAs === 'locked' || uploadedAs?.endsWith('+encrypted') === true ? 'locked' : 'off';
}

async function buildStatus(ctx: CommandContext): Promise<SyncStatusReport> {
  const { device, machineId, database, store } = openLocalSyncStore(ctx, 'read');
  let local: Pick<
    SyncStatusReport,
    'cursor' | 'last_push' | 'last_pull' | 'pending' | 'dead_letters' | 'content' | 'search'
  >;
  try {
    let content: SyncStatusReport['content'];
    try {
      const policy = await resolveContentPolicy(ctx, store, { record: false });
      store.setContentPolicy(policy);
      const encryption = localEncryptionState(ctx, store.uploadedForm());
      content = {
        level: policy.level,
        source: policy.source,
        encryption: encryption !== 'off',
        encryption_state: encryption,
        locked_fields: store.lockedFieldCount(),
        excluded_sessions: store.excludedSessionCount(),
        error: null,
      };
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      content = {
        level: null,
        source: null,
        encryption: false,
        encryption_state: 'off',
        locked_fields: 0,
        excluded_sessions: 0,
        error: error.message,
      };
    }
    local = {
      content,
      cursor: await store.getCursor(),
      last_push: (await store.lastOutcome('push')) ?? null,
      last_pull: (await store.lastOutcome('pull')) ?? null,
      pending: await store.pendingCounts(SYNC_TABLES),
      dead_letters: await store.listDeadLetters(),
      search: searchStatus(database.sqlite),
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
    if (!(error instanceof CliError)) throw error;
    disabledMessage = error.message.replace(/; '[^']*' did nothing$/, '');
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
    retention_at_risk: (await import('../retention.js')).transcriptsAtRisk(ctx),
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

/** How long ago `at` was, in words: "just now", "3 minutes ago", "2 hours ago", "5 days ago (2026-11-29)". */
export function ago(at: string, now: number = Date.now()): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) return 'at an unknown time';
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < -60) return `in the future (${at}: is this machine's clock right?)`;
  if (seconds < 45) return 'just now';
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 24) return plural(hours, 'hour');
  const days = Math.round(hours / 24);
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return `${plural(days, 'day')} (${date})`;
}

const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const num = (outcome: Record<string, unknown>, key: string) =>
  typeof outcome[key] === 'number' ? (outcome[key] as number) : undefined;

/** The last push or pull in words: when, how many records, and what became of them. */
export function describeOutcome(
  kind: 'push' | 'pull',
  outcome: Record<string, unknown> | null,
  now: number = Date.now(),
): string {
  if (!outcome) return 'never';
  const when = ago(typeof outcome.at === 'string' ? outcome.at : '', now);
  if (outcome.ok === false && typeof outcome.error === 'string') return `${when}, failed: ${outcome.error}`;
  if (outcome.operation === 'watch') {
    const moved = num(outcome, kind === 'push' ? 'pushed' : 'pulled') ?? 0;
    return `${when} (sync --watch), ${moved === 0 ? 'nothing to move' : count(moved, 'record')}`;
  }
  const records = num(outcome, 'records') ?? 0;
  const parts: string[] = [];
  if (kind === 'push') {
    const rejected = num(outcome, 'rejected') ?? 0;
    const parked = num(outcome, 'deadLettered') ?? 0;
    if (rejected > 0) parts.push(`${count(rejected, 'record')} replaced by the server's newer copy`);
    if (parked > 0) parts.push(`${count(parked, 'record')} refused by the server and parked`);
  } else {
    const kept = num(outcome, 'keptLocal') ?? 0;
    if (kept > 0) parts.push(`${count(kept, 'local copy', 'local copies')} kept (newer than the server's)`);
    if (outcome.fullResync === true) parts.push('everything downloaded again');
  }
  return `${when}, ${records === 0 ? 'nothing to move' : count(records, 'record')}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/** One line of the text output: a label and its text, with indented detail lines below it. */
export interface StatusLine {
  label: string;
  text: string;
  details?: string[];
}

/**
 * The sections of `sync status`, in order: each turns the report into its lines. A new piece of status is a
 * field of the report (for --json) and a section here (for the text); the labels are aligned by `printStatus`.
 */
export const STATUS_SECTIONS: ((r: SyncStatusReport, now: number) => StatusLine[])[] = [
  (r) => [{ label: 'Sync', text: syncState(r) }],
  (r) => [
    { label: 'User', text: r.user ? (r.user.github_login ?? r.user.email ?? r.user.id) : 'not logged in' },
    { label: 'Machine', text: `${r.machine.name} (${r.machine.id})` },
    { label: 'Backend', text: r.project_url ?? 'not configured' },
    { label: 'Profile', text: r.profile },
  ],
  (r, now) => [
    { label: 'Last push', text: describeOutcome('push', r.last_push, now) },
    { label: 'Last pull', text: describeOutcome('pull', r.last_pull, now) },
  ],
  (r) =>
    r.conflicts.server_won + r.conflicts.kept_local === 0
      ? []
      : [
          {
            label: 'Conflicts',
            text: `${r.conflicts.server_won} won by the server (last push), ${r.conflicts.kept_local} kept locally (last pull)`,
          },
        ],
  (r) => {
    const level = r.content.error
      ? `unusable settings: ${r.content.error}`
      : `${r.content.level}${r.content.source === 'default' ? ' (default, recorded at the next sync)' : ''}`;
    return [
      { label: 'Content', text: level },
      {
        label: 'Encryption',
        text: `${
          r.content.encryption_state === 'locked'
            ? "locked: no text leaves this machine (run 'agentlogs encryption unlock')"
            : r.content.encryption_state
        }${r.content.locked_fields > 0 ? `, ${r.content.locked_fields} fields locked here` : ''}`,
      },
      {
        label: 'Excluded',
        text:
          r.content.excluded_sessions === 0
            ? 'no sessions'
            : `${count(r.content.excluded_sessions, 'session')} (sync.exclude)`,
      },
    ];
  },
  (r) => {
    const details = Object.entries(r.pending)
      .filter(([, n]) => n > 0)
      .map(([table, n]) => `${table.padEnd(18)} ${n.toLocaleString('en-US')}`);
    const waiting = !r.logged_in || !r.sync_enabled ? ', sent once sync is on' : ', sent at the next sync';
    return [
      {
        label: 'Pending',
        text: r.pending_total === 0 ? 'nothing' : `${count(r.pending_total, 'record')}${waiting}`,
        details,
      },
    ];
  },
  (r) => {
    if (r.dead_letters.length === 0) return [{ label: 'Refused', text: 'nothing' }];
    const details = r.dead_letters
      .slice(0, 10)
      .map((d) => `${d.table}/${d.id} v${d.version}: ${d.code} ${d.message}`);
    if (r.dead_letters.length > 10)
      details.push(`… and ${r.dead_letters.length - 10} more (--json lists all)`);
    return [
      {
        label: 'Refused',
        text: `${count(r.dead_letters.length, 'record')} the server refused, parked ('agentlogs sync retry' sends them again)`,
        details,
      },
    ];
  },
  (r) => [
    {
      label: 'Search index',
      text: `${(r.search.indexBytes / 1e6).toFixed(1)} MB for ${count(r.search.turns, 'turn')}${r.search.lockedSessions > 0 ? ` (${count(r.search.lockedSessions, 'session')} locked: encrypted, no key here; not searchable)` : ''}`,
    },
  ],
  (r) => [
    {
      label: 'Connection',
      text: r.connection.checked
        ? r.connection.ok
          ? `${r.connection.message}; ${r.connection.waiting_to_pull === 0 ? 'nothing' : count(r.connection.waiting_to_pull ?? 0, 'record')} waiting to be pulled`
          : `FAILED: ${r.connection.message}`
        : `not checked (${r.connection.message})`,
    },
  ],
  (r) =>
    r.retention_at_risk
      ? [
          {
            label: 'Retention',
            text: `${count(r.retention_at_risk, 'transcript')} that Claude Code deletes within 7 days ${r.retention_at_risk === 1 ? 'is' : 'are'} not imported: run 'agentlogs import' ('agentlogs doctor' lists them)`,
          },
        ]
      : [],
];

/** Whether sync runs, in words: off until login, off by the environment, off without a project, or on. */
function syncState(r: SyncStatusReport): string {
  if (!r.sync_enabled) return `off: ${r.connection.message}`;
  if (!r.project_url) return "off until a Supabase project is set ('agentlogs help supabase')";
  const profile = r.profile === 'default' ? '' : ` --profile ${r.profile}`;
  if (!r.logged_in) return `off until you log in ('agentlogs login${profile}')`;
  return 'on';
}

export function printStatus(ctx: CommandContext, r: SyncStatusReport, now: number = Date.now()): void {
  const lines = STATUS_SECTIONS.flatMap((section) => section(r, now));
  const width = Math.max(15, ...lines.map((l) => l.label.length + 3));
  for (const line of lines) {
    ctx.out(`${`${line.label}:`.padEnd(width)}${line.text}`);
    for (const detail of line.details ?? []) ctx.out(`  ${detail}`);
  }
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
