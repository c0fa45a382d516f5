import { resolveClaudeRoots, resolveCodexRoots, TranscriptRootError } from '@agentlogs/ingest';
import type { ParsedArgs } from './command.js';
import type { CommandContext } from './context.js';
import { usageError } from './errors.js';

/** The values of a repeatable string flag. */
export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/**
 * The transcript folders a command reads, from `--claude-dir` / `--codex-dir` (repeatable) or the defaults
 * and environment. With either flag, only the folders given are read, for both tools.
 */
export function transcriptRoots(
  ctx: Pick<CommandContext, 'env'>,
  args: ParsedArgs,
): { claudeRoots: string[]; codexRoots: string[] } {
  const claudeDirs = stringList(args.values['claude-dir']);
  const codexDirs = stringList(args.values['codex-dir']);
  const onlyGiven = claudeDirs.length > 0 || codexDirs.length > 0;
  try {
    return {
      claudeRoots: onlyGiven && claudeDirs.length === 0 ? [] : resolveClaudeRoots(ctx.env, claudeDirs),
      codexRoots: onlyGiven && codexDirs.length === 0 ? [] : resolveCodexRoots(ctx.env, codexDirs),
    };
  } catch (error) {
    if (error instanceof TranscriptRootError) {
      throw usageError(
        error.message,
        'check the path; it may be a "projects"/"sessions" folder or the folder holding one',
      );
    }
    throw error;
  }
}
