/**
 * The project's quota as this user uses it: the footprint the server measures (`sync_footprint`: the
 * pg_column_size of the user's rows per table, the sizes of their stored images) against the plan of
 * `sync.plan`. Push warns at 75% and 90% of either and says how to shrink it.
 */
import type { Footprint } from '@agentlogs/supabase-remote';
import type { CommandContext } from '../context.js';
import { formatBytes } from '../progress.js';
import { type PlanQuota, ProfileConfig, planQuota } from '../settings.js';

export interface QuotaReport {
  plan: string;
  database: { bytes: number; quota: number; percent: number };
  storage: { bytes: number; objects: number; quota: number; percent: number };
  tables: Footprint['tables'];
}

export function profilePlan(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>): PlanQuota {
  return planQuota(new ProfileConfig(ctx).get('sync.plan').value);
}

export function quotaReport(footprint: Footprint, plan: PlanQuota): QuotaReport {
  const databaseBytes = footprint.tables.reduce((n, t) => n + t.bytes, 0);
  const percent = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;
  return {
    plan: plan.name,
    database: {
      bytes: databaseBytes,
      quota: plan.databaseBytes,
      percent: percent(databaseBytes, plan.databaseBytes),
    },
    storage: {
      bytes: footprint.storage.bytes,
      objects: footprint.storage.objects,
      quota: plan.storageBytes,
      percent: percent(footprint.storage.bytes, plan.storageBytes),
    },
    tables: footprint.tables,
  };
}

export function describeQuota(report: QuotaReport): string[] {
  const lines = [
    `Cloud usage:   ${formatBytes(report.database.bytes)} of ${formatBytes(report.database.quota)} database (${report.database.percent}%), ` +
      `${formatBytes(report.storage.bytes)} of ${formatBytes(report.storage.quota)} storage (${report.storage.percent}%, ${report.storage.objects} images); plan ${report.plan}`,
  ];
  for (const t of report.tables) {
    if (t.rows === 0) continue;
    lines.push(
      `  ${t.table.padEnd(18)} ${t.rows.toLocaleString('en-US').padStart(9)} rows  ${formatBytes(t.bytes).padStart(10)}`,
    );
  }
  return lines;
}

/** The warning push prints at 75% and 90% of the plan (null below), with the ways to shrink. */
export function quotaWarning(report: QuotaReport): string | null {
  const worst = Math.max(report.database.percent, report.storage.percent);
  if (worst < 75) return null;
  const which = report.database.percent >= report.storage.percent ? 'database' : 'storage';
  const level = worst >= 90 ? 90 : 75;
  return (
    `agentlogs: your data takes ${worst}% of the ${which} quota of the ${report.plan} plan (over ${level}%). ` +
    "To shrink it: 'agentlogs config set sync.content metrics' (or redacted) for a stricter content level, " +
    "'agentlogs config set sync.exclude …' to keep projects local, or 'agentlogs sync prune --older-than 180d' " +
    'to remove old text from the cloud and keep the metrics.'
  );
}
