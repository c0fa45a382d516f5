/**
 * Which transcripts an agent is about to delete before agentlogs has them. Claude Code deletes, when it starts,
 * every transcript whose file time is older than `cleanupPeriodDays` (settings.json, default 30). Codex CLI
 * deletes no rollouts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findTranscriptFiles, resolveClaudeRoots } from '@agentlogs/ingest';
import { type ImportedFile, inspectDatabase } from '@agentlogs/local-store';
import { cleanupPeriodDays, DEFAULT_CLEANUP_PERIOD_DAYS } from './claude-settings.js';
import { type CommandContext, profileDir } from './context.js';

/** How far ahead a coming deletion is reported. */
export const WARN_DAYS = 7;
const DAY_MS = 86_400_000;

export interface TranscriptAtRisk {
  path: string;
  /** File time (ISO-8601). */
  mtime: string;
  /** When Claude Code deletes it: at its first start after this time (ISO-8601). */
  deletesAt: string;
  /** Whole days until then; 0 or less: at the next start of Claude Code. */
  daysLeft: number;
  status: 'not imported' | 'grown since import';
}

export interface ClaudeRetention {
  /** A Claude Code `projects` folder. */
  root: string;
  /** The settings file that holds its retention. */
  settingsFile: string;
  cleanupPeriodDays: number;
  /** Whether the value comes from the settings file (else it is Claude Code's default). */
  fromSettings: boolean;
  transcripts: number;
  atRisk: TranscriptAtRisk[];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The settings file next to a `projects` folder (`~/.claude/projects` → `~/.claude/settings.json`). */
export function settingsFileOf(root: string): string {
  const configDir = path.basename(root) === 'projects' ? path.dirname(root) : root;
  return path.join(configDir, 'settings.json');
}

/**
 * For each Claude Code `projects` folder of this environment: its retention and the transcripts it will delete
 * within `WARN_DAYS` that are not imported, or have lines not imported yet. Folders that do not exist are skipped.
 */
export function claudeRetention(
  env: NodeJS.ProcessEnv,
  imported: ReadonlyMap<string, ImportedFile>,
  now = Date.now(),
): ClaudeRetention[] {
  let roots: string[];
  try {
    roots = resolveClaudeRoots(env);
  } catch {
    roots = []; // a CLAUDE_CONFIG_DIR folder that does not exist holds nothing to lose
  }
  return roots.map((root) => {
    const settingsFile = settingsFileOf(root);
    const configured = cleanupPeriodDays(readText(settingsFile));
    const days = configured ?? DEFAULT_CLEANUP_PERIOD_DAYS;
    const files = findTranscriptFiles({ claude_code: [root] });
    const atRisk: TranscriptAtRisk[] = [];
    for (const f of files) {
      const deletesAt = f.mtimeMs + days * DAY_MS;
      if (deletesAt > now + WARN_DAYS * DAY_MS) continue;
      const known = imported.get(f.path);
      if (known && known.byteOffset >= f.size) continue;
      atRisk.push({
        path: f.path,
        mtime: new Date(f.mtimeMs).toISOString(),
        deletesAt: new Date(deletesAt).toISOString(),
        daysLeft: Math.ceil((deletesAt - now) / DAY_MS),
        status: known ? 'grown since import' : 'not imported',
      });
    }
    atRisk.sort((a, b) => (a.deletesAt < b.deletesAt ? -1 : a.deletesAt > b.deletesAt ? 1 : 0));
    return {
      root,
      settingsFile,
      cleanupPeriodDays: days,
      fromSettings: configured !== undefined,
      transcripts: files.length,
      atRisk,
    };
  });
}

/** The import cursors of the profile's database, by path (none when there is no database yet). */
export function importedFiles(ctx: Pick<CommandContext, 'home' | 'profile'>): Map<string, ImportedFile> {
  const inspection = inspectDatabase(profileDir(ctx.home, ctx.profile));
  return new Map(inspection.importedFiles.map((f) => [f.path, f]));
}

/** How many transcripts are at risk, for `sync status`; null when it cannot be told. */
export function transcriptsAtRisk(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>): number | null {
  try {
    return claudeRetention(ctx.env, importedFiles(ctx)).reduce((n, r) => n + r.atRisk.length, 0);
  } catch {
    return null;
  }
}

/** The advice for transcripts at risk. Never `cleanupPeriodDays: 0`: that stops Claude Code writing transcripts. */
export function retentionAdvice(settingsFile: string, hookInstalled: boolean): string {
  return hookInstalled
    ? "run 'agentlogs import' now"
    : `run 'agentlogs import' now, then 'agentlogs hooks install' so each session is imported as it ends (or raise cleanupPeriodDays in ${settingsFile}, e.g. to 365)`;
}
