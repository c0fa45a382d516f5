/** What the content policy would do to the pending records, for `push --dry-run` and `sync --dry-run`. */
import type { RedactionPreview } from '@agentlogs/local-store';
import type { SyncSession } from './session.js';
import { SYNC_TABLES } from './session.js';

export interface ContentPlan {
  level: string;
  /** Encryption is on for the account (also when this machine is locked). */
  encryption: boolean;
  /** `off`, `on` (this machine holds the key), `locked` (no text leaves this machine). */
  encryptionState: 'off' | 'on' | 'locked';
  /** Sessions `sync.exclude` keeps on this machine (with their turns and commits). */
  excludedSessions: number;
  /** Pending records the policy was applied to (excluded ones left out). */
  records: number;
  /** Each secret redaction would take out: rule, record, column and a masked excerpt. */
  redactions: RedactionPreview[];
}

export async function planContent(session: SyncSession): Promise<ContentPlan> {
  const preview = await session.store.previewRedaction(SYNC_TABLES);
  return {
    level: session.content.level,
    encryption: session.encryption.state !== 'off',
    encryptionState: session.encryption.state,
    excludedSessions: session.store.excludedSessionCount(),
    records: preview.records,
    redactions: preview.findings,
  };
}

const SHOWN = 20;

export function describeContentPlan(plan: ContentPlan): string[] {
  const lines = [
    `Content: ${plan.level}, encryption ${plan.encryptionState}, ${plan.excludedSessions} sessions excluded.`,
  ];
  if (plan.encryptionState === 'locked')
    lines.push('This machine is locked: its records leave without text or paths until it is unlocked.');
  else if (plan.encryptionState === 'on')
    lines.push('Every text and path field, and every image, that leaves is encrypted on this machine first.');
  if (plan.level === 'metrics')
    lines.push('No text leaves this machine: ids, times, models, tokens and costs only.');
  if (plan.level !== 'redacted') return lines;
  if (plan.redactions.length === 0) {
    lines.push(`Redaction would change nothing in ${plan.records} pending records.`);
    return lines;
  }
  const records = new Set(plan.redactions.map((r) => `${r.table}/${r.id}`)).size;
  lines.push(
    `Redaction would replace ${plan.redactions.length} secrets in ${records} of ${plan.records} records:`,
  );
  for (const r of plan.redactions.slice(0, SHOWN)) {
    lines.push(`  ${r.rule.padEnd(28)} ${r.table}/${r.id} ${r.column}: ${r.excerpt}`);
  }
  if (plan.redactions.length > SHOWN)
    lines.push(`  … and ${plan.redactions.length - SHOWN} more (--json lists all)`);
  return lines;
}
