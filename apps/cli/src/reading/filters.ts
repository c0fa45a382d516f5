import { AGENT_CATALOG } from '@agentlogs/ingest/catalog';
import type { SessionFilter } from '@agentlogs/local-store';
import { usageError } from '../errors.js';

/** The filter options `sessions list`, `search` and the dashboard share. */
export interface FilterOptions {
  project?: string;
  machine?: string;
  agent?: string;
  since?: string;
  until?: string;
}

/** The agents the importer reads (`source` of their sessions), as `--agent` takes them. */
export const AGENT_IDS: readonly string[] = AGENT_CATALOG.map((agent) => agent.id);
const AGENTS = new Set(AGENT_IDS);

/** An agent by its `source` value (`claude_code`, `amp`, …); `claude` and dashed forms (`claude-code`) name them too. */
function agentOf(given: string): string | null {
  const name = given.trim().toLowerCase().replaceAll('-', '_');
  if (name === 'claude') return 'claude_code';
  return AGENTS.has(name) ? name : null;
}

/** `YYYY-MM-DD` (a local day) to the instant it starts, ISO-8601; `days` later for an exclusive end. */
export function localDayStart(day: string, flag: string, days = 0): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const [year, month, date] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const start = new Date(year, month - 1, date);
  if (!match || start.getFullYear() !== year || start.getMonth() !== month - 1 || start.getDate() !== date) {
    throw usageError(`${flag} takes a day as YYYY-MM-DD, got "${day}"`);
  }
  return new Date(year, month - 1, date + days).toISOString();
}

/** The local-store filter for the options given (dates as local days, `--until` inclusive). */
export function sessionFilterOf(options: FilterOptions): SessionFilter {
  const filter: SessionFilter = {};
  if (options.project) filter.project = options.project;
  if (options.machine) filter.machine = options.machine;
  if (options.agent) {
    const agent = agentOf(options.agent);
    if (agent === null)
      throw usageError(`--agent takes one of ${AGENT_IDS.join(', ')}; got "${options.agent}"`);
    filter.agent = agent;
  }
  if (options.since) filter.since = localDayStart(options.since, '--since');
  if (options.until) filter.until = localDayStart(options.until, '--until', 1);
  return filter;
}

/** A whole number option (default when absent), at least `min`. */
export function wholeNumber(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw usageError(`${flag} takes a whole number of at least ${min}, got "${value}"`);
  return n;
}
