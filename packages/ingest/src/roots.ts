import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

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
 * Claude Code `projects` folders to read: `--claude-dir` values when given, otherwise `CLAUDE_CONFIG_DIR`
 * (comma-separated), otherwise `~/.config/claude/projects` and `~/.claude/projects` (those that exist).
 * A given folder may be a `projects` folder or a folder holding one. Given folders that do not exist are an error.
 */
export function resolveClaudeRoots(
  env: NodeJS.ProcessEnv,
  claudeDirs: string[] = [],
  home = env.HOME || homedir(),
): string[] {
  const given =
    claudeDirs.length > 0
      ? claudeDirs
      : (env.CLAUDE_CONFIG_DIR ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (given.length > 0) {
    return unique(
      given.map((dir) => {
        if (!isDir(dir)) {
          const from = claudeDirs.length > 0 ? '--claude-dir' : 'CLAUDE_CONFIG_DIR';
          throw new TranscriptRootError(`${from} folder not found: ${dir}`, dir);
        }
        return withChild(dir, 'projects');
      }),
    );
  }
  const base = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(home, '.config');
  return unique([join(base, 'claude', 'projects'), join(home, '.claude', 'projects')].filter(isDir));
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
  if (codexDirs.length > 0) {
    return unique(
      codexDirs.map((dir) => {
        if (!isDir(dir)) throw new TranscriptRootError(`--codex-dir folder not found: ${dir}`, dir);
        return withChild(dir, 'sessions');
      }),
    );
  }
  const codexHome = env.CODEX_HOME?.trim() ? resolve(env.CODEX_HOME.trim()) : join(home, '.codex');
  const sessions = join(codexHome, 'sessions');
  return existsSync(sessions) && isDir(sessions) ? [sessions] : [];
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
