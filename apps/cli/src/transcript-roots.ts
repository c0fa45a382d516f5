import { AGENT_CATALOG, resolveAgentRoots, TranscriptRootError } from '@agentlogs/ingest';
import type { ParsedArgs } from './command.js';
import type { CommandContext } from './context.js';
import { usageError } from './errors.js';

export { stringList } from './agent-options.js';

import { stringList } from './agent-options.js';

export interface TranscriptRoots {
  /** Folders by agent id, for `importTranscripts`. */
  byAgent: Record<string, string[]>;
  /** Every folder, in agent order. */
  all: string[];
}

/**
 * The transcript folders a command reads, from the `--<agent>-dir` options (repeatable) or each agent's
 * environment variable and defaults. With any of those options, only the folders given are read, for every agent.
 */
export function transcriptRoots(ctx: Pick<CommandContext, 'env'>, args: ParsedArgs): TranscriptRoots {
  const values = args.values as Record<string, unknown>;
  const given = new Map(AGENT_CATALOG.map((entry) => [entry, stringList(values[entry.roots.flag])]));
  const onlyGiven = [...given.values()].some((dirs) => dirs.length > 0);
  const byAgent: Record<string, string[]> = {};
  const all: string[] = [];
  try {
    for (const [entry, dirs] of given) {
      const roots = onlyGiven && dirs.length === 0 ? [] : resolveAgentRoots(entry, ctx.env, dirs);
      byAgent[entry.id] = roots;
      all.push(...roots);
    }
  } catch (error) {
    if (error instanceof TranscriptRootError) {
      throw usageError(
        error.message,
        'check the path; it may be the transcript folder or the folder holding it',
      );
    }
    throw error;
  }
  return { byAgent, all };
}

/** The agents' names for messages: `Claude Code, Codex CLI or …`. */
export function agentNames(): string {
  const names = AGENT_CATALOG.map((e) => e.displayName);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
}
