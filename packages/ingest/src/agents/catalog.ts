/**
 * Where each agent keeps its transcripts: the folders read by default on Linux, macOS and Windows, the
 * environment variable that replaces them (the one ccusage 20 reads, so both can be pointed at one folder) and
 * the `--<agent>-dir` option generated from it. Pure data with no parser code, so the CLI builds its option
 * table and help from it without loading an adapter. Each adapter (`./<agent>.ts`) takes its entry from here.
 */
import { join, resolve } from 'node:path';
import type { Source } from '@agentlogs/local-store';

/** The `source` written on an agent's sessions, commits and cursors. */
export type AgentId = Source;

export interface RootContext {
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
}

export interface AgentRootSpec {
  /** The option naming folders to read instead of the defaults, without dashes: `claude-dir`. */
  flag: string;
  /** The environment variable naming folders to read instead of the defaults. */
  env: string;
  /** Whether the variable may name several folders, comma-separated. */
  envList: boolean;
  /** A folder named by the variable that does not exist: an error, or skipped (as ccusage does). */
  envMissing: 'error' | 'skip';
  /** The transcript folder inside a given folder: a given folder holding it is read from there. */
  child?: string;
  /** The transcript folder inside a folder named by the variable (default: as for a given folder). */
  envRoot?(dir: string): string;
  /** The folders read when neither the option nor the variable is set (those that exist). */
  defaults(ctx: RootContext): string[];
  /** For help: what a given folder is. */
  folderHelp: string;
  /** For help: the default folders. */
  defaultHelp: string;
}

export interface AgentEntry {
  id: AgentId;
  displayName: string;
  roots: AgentRootSpec;
}

/** `$XDG_DATA_HOME` when set, else `~/.local/share` (what OpenCode and Amp use on every platform). */
function dataHome(ctx: RootContext): string {
  return ctx.env.XDG_DATA_HOME ? resolve(ctx.env.XDG_DATA_HOME) : join(ctx.home, '.local', 'share');
}

export const claudeCodeEntry: AgentEntry = {
  id: 'claude_code',
  displayName: 'Claude Code',
  roots: {
    flag: 'claude-dir',
    env: 'CLAUDE_CONFIG_DIR',
    envList: true,
    envMissing: 'error',
    child: 'projects',
    // Linux, macOS and Windows alike (Windows: under %USERPROFILE%).
    defaults: (ctx) => [
      join(
        ctx.env.XDG_CONFIG_HOME ? resolve(ctx.env.XDG_CONFIG_HOME) : join(ctx.home, '.config'),
        'claude',
        'projects',
      ),
      join(ctx.home, '.claude', 'projects'),
    ],
    folderHelp: 'a "projects" folder or a folder holding one',
    defaultHelp:
      '$CLAUDE_CONFIG_DIR (comma-separated), else ~/.config/claude/projects and ~/.claude/projects',
  },
};

export const codexEntry: AgentEntry = {
  id: 'codex',
  displayName: 'Codex CLI',
  roots: {
    flag: 'codex-dir',
    env: 'CODEX_HOME',
    envList: false,
    envMissing: 'skip',
    child: 'sessions',
    envRoot: (dir) => join(dir, 'sessions'),
    defaults: (ctx) => [join(ctx.home, '.codex', 'sessions')],
    folderHelp: 'a "sessions" folder or a folder holding one',
    defaultHelp: '$CODEX_HOME/sessions, else ~/.codex/sessions',
  },
};

export const geminiCliEntry: AgentEntry = {
  id: 'gemini_cli',
  displayName: 'Gemini CLI',
  roots: {
    flag: 'gemini-dir',
    env: 'GEMINI_DATA_DIR',
    envList: true,
    envMissing: 'skip',
    child: 'tmp',
    envRoot: (dir) => dir,
    defaults: (ctx) => [join(ctx.home, '.gemini', 'tmp')],
    folderHelp: 'a "tmp" folder of chats or the ~/.gemini folder holding one',
    defaultHelp: '$GEMINI_DATA_DIR (comma-separated), else ~/.gemini/tmp',
  },
};

export const qwenCodeEntry: AgentEntry = {
  id: 'qwen_code',
  displayName: 'Qwen Code',
  roots: {
    flag: 'qwen-dir',
    env: 'QWEN_DATA_DIR',
    envList: true,
    envMissing: 'skip',
    envRoot: (dir) => dir,
    defaults: (ctx) => [join(ctx.home, '.qwen')],
    folderHelp: 'Qwen Code\'s folder, holding "projects/<project>/chats/"',
    defaultHelp: '$QWEN_DATA_DIR (comma-separated), else ~/.qwen',
  },
};

export const opencodeEntry: AgentEntry = {
  id: 'opencode',
  displayName: 'OpenCode',
  roots: {
    flag: 'opencode-dir',
    env: 'OPENCODE_DATA_DIR',
    envList: true,
    envMissing: 'skip',
    // OpenCode keeps its data under the XDG data folder on every platform (Windows: %USERPROFILE%\.local\share).
    defaults: (ctx) => [join(dataHome(ctx), 'opencode')],
    folderHelp: 'OpenCode\'s data folder, holding "opencode.db" or "storage/"',
    defaultHelp: '$OPENCODE_DATA_DIR (comma-separated), else ~/.local/share/opencode',
  },
};

export const copilotCliEntry: AgentEntry = {
  id: 'copilot_cli',
  displayName: 'GitHub Copilot CLI',
  roots: {
    flag: 'copilot-dir',
    env: 'COPILOT_HOME',
    envList: false,
    envMissing: 'skip',
    child: 'session-state',
    envRoot: (dir) => join(dir, 'session-state'),
    defaults: (ctx) => [join(ctx.home, '.copilot', 'session-state')],
    folderHelp: 'a "session-state" folder or a folder holding one',
    defaultHelp: '$COPILOT_HOME/session-state, else ~/.copilot/session-state',
  },
};

export const ampEntry: AgentEntry = {
  id: 'amp',
  displayName: 'Amp',
  roots: {
    flag: 'amp-dir',
    env: 'AMP_DATA_DIR',
    envList: true,
    envMissing: 'skip',
    envRoot: (dir) => dir,
    // Amp keeps its threads under the XDG data folder on Linux, macOS and Windows alike (Windows:
    // %USERPROFILE%\.local\share\amp); ~/.local/share/amp is also read when XDG_DATA_HOME points elsewhere.
    defaults: (ctx) => [...new Set([join(dataHome(ctx), 'amp'), join(ctx.home, '.local', 'share', 'amp')])],
    folderHelp: 'Amp\'s data folder, holding "threads/"',
    defaultHelp: '$AMP_DATA_DIR (comma-separated), else ~/.local/share/amp',
  },
};

export const antigravityCliEntry: AgentEntry = {
  id: 'antigravity_cli',
  displayName: 'Antigravity CLI',
  roots: {
    flag: 'antigravity-dir',
    env: 'ANTIGRAVITY_DATA_DIR',
    envList: true,
    envMissing: 'skip',
    envRoot: (dir) => dir,
    // Under ~/.gemini on Linux, macOS and Windows alike (Windows: %USERPROFILE%\.gemini).
    defaults: (ctx) => [join(ctx.home, '.gemini', 'antigravity-cli')],
    folderHelp: 'Antigravity CLI\'s folder, holding "brain/<conversation>/"',
    defaultHelp: '$ANTIGRAVITY_DATA_DIR (comma-separated), else ~/.gemini/antigravity-cli',
  },
};

export const droidEntry: AgentEntry = {
  id: 'droid',
  displayName: 'Droid',
  roots: {
    flag: 'droid-dir',
    env: 'DROID_SESSIONS_DIR',
    envList: true,
    envMissing: 'skip',
    child: 'sessions',
    envRoot: (dir) => dir,
    // Under ~/.factory on Linux, macOS and Windows alike (Windows: %USERPROFILE%\.factory).
    defaults: (ctx) => [join(ctx.home, '.factory', 'sessions')],
    folderHelp: 'a "sessions" folder or a folder holding one',
    defaultHelp: '$DROID_SESSIONS_DIR (comma-separated), else ~/.factory/sessions',
  },
};

/** Every agent the importer reads, in import order (the adapters in `./index.ts` follow this order). */
export const AGENT_CATALOG: readonly AgentEntry[] = [
  claudeCodeEntry,
  codexEntry,
  opencodeEntry,
  geminiCliEntry,
  qwenCodeEntry,
  copilotCliEntry,
  ampEntry,
  antigravityCliEntry,
  droidEntry,
];
