/**
 * The `--<agent>-dir` options, generated from the agent catalog (data only, no parser code: the command table
 * imports this, and `agentlogs --help` loads no adapter).
 */
import { AGENT_CATALOG } from '@agentlogs/ingest/catalog';

/** The values of a repeatable string flag. */
export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** One `--<agent>-dir DIR` option per registered agent (`--claude-dir`, `--codex-dir`, …), repeatable. */
export const agentDirOptions: Readonly<Record<string, { readonly type: 'string'; readonly multiple: true }>> =
  Object.fromEntries(
    AGENT_CATALOG.map((entry) => [entry.roots.flag, { type: 'string', multiple: true } as const]),
  );

/** The usage fragment of those options: `[--claude-dir DIR]... [--codex-dir DIR]...`. */
export const agentDirUsage = AGENT_CATALOG.map((e) => `[--${e.roots.flag} DIR]...`).join(' ');

/** The width of the option column in that help (`  --claude-dir DIR` and the like, padded). */
export const agentDirColumn = Math.max(...AGENT_CATALOG.map((e) => e.roots.flag.length)) + 9;

/** Help lines for those options, one block per agent, from its catalog entry. */
export function agentDirHelp(): string {
  const pad = ' '.repeat(agentDirColumn + 1);
  return AGENT_CATALOG.map((e) => {
    const head = `  --${e.roots.flag} DIR`.padEnd(agentDirColumn);
    return `${head} read ${e.displayName} transcripts from DIR (${e.roots.folderHelp}); repeatable.\n${pad}Default: ${e.roots.defaultHelp}`;
  }).join('\n');
}
