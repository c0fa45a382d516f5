import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AgentEntry, claudeCodeEntry, codexEntry } from './agents/catalog.js';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A folder given by the user: the folder itself, or its `<child>` subfolder when it holds one. */
function withChild(dir: string, child: string): string {
  const abs = resolve(dir);
  return isDir(join(abs, child)) ? join(abs, child) : abs;
}

export class TranscriptRootError extends Error {
  readonly code = 'TRANSCRIPT_ROOT_NOT_FOUND';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'TranscriptRootError';
  }
}

/**
 * An agent's transcript folders: the given folders (`--<agent>-dir`) when there are any, otherwise the folders
 * named by its environment variable, otherwise its default folders that exist (see `./agents/catalog.ts`).
 * A given folder may be the transcript folder itself or a folder holding it. A given folder that does not
 * exist is an error naming the option; one named by the variable is an error or skipped, as the agent declares.
 */
export function resolveAgentRoots(
  entry: AgentEntry,
  env: NodeJS.ProcessEnv,
  dirs: string[] = [],
  home = env.HOME || homedir(),
  platform: NodeJS.Platform = process.platform,
): string[] {
  const spec = entry.roots;
  if (dirs.length > 0) {
    return unique(
      dirs.map((dir) => {
        if (!isDir(dir)) throw new TranscriptRootError(`--${spec.flag} folder not found: ${dir}`, dir);
        return spec.child ? withChild(dir, spec.child) : resolve(dir);
      }),
    );
  }
  const raw = env[spec.env]?.trim() ?? '';
  const named = spec.envList
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : raw
      ? [raw]
      : [];
  if (named.length > 0) {
    const roots: string[] = [];
    for (const dir of named) {
      if (!isDir(dir)) {
        if (spec.envMissing === 'error')
          throw new TranscriptRootError(`${spec.env} folder not found: ${dir}`, dir);
        continue;
      }
      roots.push(
        spec.envRoot ? spec.envRoot(resolve(dir)) : spec.child ? withChild(dir, spec.child) : resolve(dir),
      );
    }
    return unique(roots.filter(isDir));
  }
  return unique(spec.defaults({ env, home, platform }).filter(isDir));
}

/**
 * Claude Code `projects` folders to read: `--claude-dir` values when given, otherwise `CLAUDE_CONFIG_DIR`
 * (comma-separated), otherwise `~/.config/claude/projects` and `~/.claude/projects` (those that exist).
 * A given folder may be a `projects` folder or a folder holding one. Given folders that do not exist are an error.
 */
export function resolveClaudeRoots(
  env: NodeJS.ProcessEnv,
  claudeDirs: string[] = [],
  home = env.HOME || homedir(),
): string[] {
  return resolveAgentRoots(claudeCodeEntry, env, claudeDirs, home);
}

/**
 * Codex CLI `sessions` folders: `--codex-dir` values, otherwise `$CODEX_HOME/sessions`, otherwise `~/.codex/sessions`.
 * A given folder may be a `sessions` folder or a folder holding one.
 */
export function resolveCodexRoots(
  env: NodeJS.ProcessEnv,
  codexDirs: string[] = [],
  home = env.HOME || homedir(),
): string[] {
  return resolveAgentRoots(codexEntry, env, codexDirs, home);
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
