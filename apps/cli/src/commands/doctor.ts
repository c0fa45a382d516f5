/**
 * `agentlogs doctor`: what may be lost or broken, and what to do about it. Exit 1 when something needs doing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type DatabaseInspection, inspectDatabase } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import { type CommandContext, profileDir } from '../context.js';
import { ExitCode } from '../errors.js';
import { type ClaudeRetention, claudeRetention, retentionAdvice, WARN_DAYS } from '../retention.js';
import { ProfileConfig } from '../settings.js';
import { type HookStatus, hookStatuses } from './hooks.js';
import type { specs } from './index.js';

export type CheckStatus = 'ok' | 'info' | 'warn' | 'action';

export interface Check {
  name: 'retention' | 'kept' | 'hook' | 'database' | 'config' | 'sync';
  status: CheckStatus;
  message: string;
  hint: string | null;
}

export interface DoctorReport {
  /** False when a check needs action (exit 1). */
  ok: boolean;
  checks: Check[];
  retention: ClaudeRetention[];
  /** Sessions the database keeps whose transcript files are gone from disk. */
  kept: { sessions: number; files: number };
  database: Omit<DatabaseInspection, 'importedFiles' | 'liveSessions'>;
  hooks: HookStatus[];
}

/** A WAL this large is worth a look: an import that writes checkpoints it at its end. */
const LARGE_WAL_BYTES = 256 * 1024 * 1024;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function retentionChecks(retention: ClaudeRetention[], hookInstalled: boolean): Check[] {
  if (retention.length === 0)
    return [
      {
        name: 'retention',
        status: 'info',
        message: 'no Claude Code transcripts on this machine',
        hint: null,
      },
    ];
  const checks: Check[] = [];
  for (const r of retention) {
    const kept = `${r.cleanupPeriodDays} days (${r.fromSettings ? `cleanupPeriodDays in ${r.settingsFile}` : 'Claude Code’s default'})`;
    if (r.fromSettings && r.cleanupPeriodDays === 0) {
      checks.push({
        name: 'retention',
        status: 'action',
        message: `cleanupPeriodDays is 0 in ${r.settingsFile}: Claude Code then writes no transcripts at all`,
        hint: 'set cleanupPeriodDays to the number of days to keep transcripts, e.g. 365',
      });
      continue;
    }
    if (r.atRisk.length === 0) {
      checks.push({
        name: 'retention',
        status: 'ok',
        message: `${r.root}: ${plural(r.transcripts, 'transcript')}, kept ${kept}; none deleted within ${WARN_DAYS} days is missing here`,
        hint: null,
      });
      continue;
    }
    const grown = r.atRisk.filter((f) => f.status === 'grown since import').length;
    checks.push({
      name: 'retention',
      status: 'action',
      message: `${r.root}: ${plural(r.atRisk.length, 'transcript')} that Claude Code deletes within ${WARN_DAYS} days ${r.atRisk.length === 1 ? 'is' : 'are'} not imported${grown > 0 ? ` (${grown} grown since their import)` : ''}; kept ${kept}`,
      hint: retentionAdvice(r.settingsFile, hookInstalled),
    });
  }
  return checks;
}

function databaseCheck(db: DatabaseInspection): Check {
  const name = 'database';
  if (!db.exists)
    return {
      name,
      status: 'action',
      message: `no database yet at ${db.path}`,
      hint: "run 'agentlogs import'",
    };
  if (db.error)
    return {
      name,
      status: 'action',
      message: `${db.path} cannot be read: ${db.error}`,
      hint: "move the file aside (keep it), then run 'agentlogs import' to rebuild it from your transcripts",
    };
  if (db.quickCheck.length !== 1 || db.quickCheck[0] !== 'ok')
    return {
      name,
      status: 'action',
      message: `${db.path} is damaged: ${db.quickCheck.slice(0, 3).join('; ')}`,
      hint: "move the file aside (keep it), then run 'agentlogs import' to rebuild it from your transcripts and 'agentlogs pull' to fetch what your other machines synced",
    };
  if (db.schemaVersion > db.latestSchemaVersion)
    return {
      name,
      status: 'action',
      message: `${db.path} has schema version ${db.schemaVersion}, newer than this agentlogs (${db.latestSchemaVersion})`,
      hint: 'install the newer agentlogs that wrote it',
    };
  const facts = `quick check ok, schema version ${db.schemaVersion}${db.schemaVersion < db.latestSchemaVersion ? ` (upgraded to ${db.latestSchemaVersion} at the next command that writes)` : ''}, write-ahead log ${mib(db.walBytes)}`;
  if (db.walBytes > LARGE_WAL_BYTES)
    return {
      name,
      status: 'warn',
      message: `${db.path}: ${facts}`,
      hint: "the next 'agentlogs import' that writes folds the log back into the database",
    };
  return { name, status: 'ok', message: `${db.path}: ${facts}`, hint: null };
}

function configCheck(ctx: CommandContext): Check {
  const warnings: string[] = [];
  const config = new ProfileConfig({ ...ctx, err: (line) => warnings.push(line) });
  const problems = config
    .list()
    .filter((s) => s.problem)
    .map((s) => s.problem!);
  const all = [...warnings.map((w) => w.replace(/^agentlogs: warning: /, '')), ...problems];
  if (all.length > 0)
    return {
      name: 'config',
      status: 'action',
      message: all.join('; '),
      hint: "fix it with 'agentlogs config set' or 'agentlogs config unset'",
    };
  return { name: 'config', status: 'ok', message: `${config.path}: every setting can be used`, hint: null };
}

function syncCheck(ctx: CommandContext): Check {
  if (ctx.env.AGENTLOGS_SYNC_ENABLED === 'false')
    return { name: 'sync', status: 'info', message: 'off (AGENTLOGS_SYNC_ENABLED=false)', hint: null };
  const settings = new ProfileConfig({ ...ctx, err: () => {} }).list();
  const set = (key: string) => settings.find((s) => s.key === key)?.value !== undefined;
  if (!set('supabase.url') || !set('supabase.anon_key'))
    return {
      name: 'sync',
      status: 'info',
      message: 'not set up: sessions stay on this machine',
      hint: "to sync your machines through your own Supabase project: 'agentlogs help supabase'",
    };
  const loggedIn = existsSync(path.join(profileDir(ctx.home, ctx.profile), 'credentials', 'session.json'));
  return loggedIn
    ? {
        name: 'sync',
        status: 'ok',
        message: "project set and logged in ('agentlogs sync status' checks the connection)",
        hint: null,
      }
    : { name: 'sync', status: 'warn', message: 'project set, not logged in', hint: "run 'agentlogs login'" };
}

export async function buildDoctorReport(ctx: CommandContext, now = Date.now()): Promise<DoctorReport> {
  const inspection = inspectDatabase(profileDir(ctx.home, ctx.profile));
  const { importedFiles, liveSessions, ...database } = inspection;
  const imported = new Map(importedFiles.map((f) => [f.path, f]));
  const hooks = await hookStatuses(ctx);
  const hookInstalled = hooks.some((h) => h.installed && h.runnable !== false);
  const retention = claudeRetention(ctx.env, imported, now);

  const goneSessions = new Set<string>();
  let goneFiles = 0;
  for (const f of importedFiles) {
    if (existsSync(f.path)) continue;
    goneFiles++;
    if (f.sessionId !== null && liveSessions.has(f.sessionId)) goneSessions.add(f.sessionId);
  }

  const checks: Check[] = [...retentionChecks(retention, hookInstalled)];
  checks.push({
    name: 'kept',
    status: 'info',
    message:
      goneFiles === 0
        ? 'every imported transcript is still on disk'
        : `${plural(goneSessions.size, 'session')} kept here whose transcripts are gone from disk (${plural(goneFiles, 'file')})`,
    hint: null,
  });
  const broken = hooks.find((h) => h.installed && h.runnable === false);
  const unreadable = hooks.find((h) => h.error !== null);
  checks.push(
    unreadable
      ? {
          name: 'hook',
          status: 'action',
          message: `${unreadable.file}: ${unreadable.error}`,
          hint: 'fix the file, then run the command again',
        }
      : broken
        ? {
            name: 'hook',
            status: 'action',
            message: `the hook in ${broken.file} names a Node or agentlogs that is gone`,
            hint: "run 'agentlogs hooks install' again",
          }
        : hookInstalled
          ? {
              name: 'hook',
              status: 'ok',
              message: `SessionEnd hook installed in ${hooks
                .filter((h) => h.installed)
                .map((h) => h.file)
                .join(', ')}`,
              hint: null,
            }
          : {
              name: 'hook',
              status: 'warn',
              message:
                'no SessionEnd hook: a session is kept only if an import runs before Claude Code deletes it',
              hint: "run 'agentlogs hooks install'",
            },
  );
  checks.push(databaseCheck(inspection), configCheck(ctx), syncCheck(ctx));
  return {
    ok: !checks.some((c) => c.status === 'action'),
    checks,
    retention,
    kept: { sessions: goneSessions.size, files: goneFiles },
    database,
    hooks,
  };
}

const MARKS: Record<CheckStatus, string> = { ok: 'ok', info: '--', warn: 'warn', action: '!' };
const SHOWN_AT_RISK = 10;

function printReport(ctx: CommandContext, report: DoctorReport): void {
  for (const c of report.checks) {
    ctx.out(`${MARKS[c.status].padEnd(5)}${c.name.padEnd(10)} ${c.message}`);
    if (c.name === 'retention' && c.status === 'action') {
      const r = report.retention.find((x) => c.message.startsWith(`${x.root}:`));
      for (const f of r?.atRisk.slice(0, SHOWN_AT_RISK) ?? []) {
        const when = f.daysLeft <= 0 ? 'at the next start of Claude Code' : `in ${plural(f.daysLeft, 'day')}`;
        ctx.out(`${' '.repeat(16)}${f.path}: deleted ${when}, ${f.status}`);
      }
      if (r && r.atRisk.length > SHOWN_AT_RISK)
        ctx.out(`${' '.repeat(16)}… and ${r.atRisk.length - SHOWN_AT_RISK} more (--json lists all)`);
    }
    if (c.hint) ctx.out(`${' '.repeat(16)}→ ${c.hint}`);
  }
}

export const doctorCommand: Command<OptionsOf<typeof specs.doctor>> = {
  name: 'doctor',
  async run(ctx, args) {
    const report = await buildDoctorReport(ctx);
    if (args.values.json === true) ctx.out(JSON.stringify(report, null, 2));
    else printReport(ctx, report);
    return report.ok ? ExitCode.ok : ExitCode.failure;
  },
};
