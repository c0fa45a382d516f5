import os from 'node:os';
import path from 'node:path';
import { CliError, ExitCode } from './errors.js';

/** Where a command writes, what it may read from the environment, and how it was invoked. */
export interface CommandContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Set by Ctrl-C: long work stops after the step in flight. */
  signal: AbortSignal;
  /** Named profile (`--profile`, `AGENTLOGS_PROFILE`), `default` otherwise. */
  profile: string;
  /** The data directory of agentlogs for this invocation (see `resolveHome`). */
  home: string;
  /** Print a line to stdout. */
  out(line: string): void;
  /** Print a line to stderr. */
  err(line: string): void;
}

/**
 * The data directory: `$AGENTLOGS_HOME` when set, otherwise `$XDG_DATA_HOME/agentlogs`
 * (default `~/.local/share/agentlogs`) on Linux, `~/Library/Application Support/agentlogs` on macOS,
 * `%LOCALAPPDATA%\agentlogs` on Windows.
 */
export function resolveHome(env: NodeJS.ProcessEnv): string {
  if (env.AGENTLOGS_HOME) return path.resolve(env.AGENTLOGS_HOME);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'agentlogs');
  if (process.platform === 'win32') {
    return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'agentlogs');
  }
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'agentlogs');
}

const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Why `name` cannot be a profile name, or undefined when it can: 1 to 64 letters, digits, `-` and `_`, so a
 * name is one folder under `profiles/` and never a path (`../x`, `/tmp/x`). `source` names where it came from.
 */
export function profileNameProblem(name: string, source?: string): string | undefined {
  if (PROFILE_NAME.test(name)) return undefined;
  return `invalid profile name "${name}"${source ? ` in ${source}` : ''}: use letters, digits, - and _`;
}

/**
 * The directory of one profile's data: the home itself for `default`, `profiles/<name>` for others. Every
 * path of a profile is made here, so a name that is not a valid profile name (from any source) stops here.
 */
export function profileDir(home: string, profile: string): string {
  const problem = profileNameProblem(profile);
  if (problem) throw new CliError(problem, { exitCode: ExitCode.usage });
  return profile === 'default' ? home : path.join(home, 'profiles', profile);
}

let closedPipeWatched = false;

/**
 * Output to a reader that went away (`agentlogs stats | head`) ends the process quietly with exit 0, as
 * `git log | head` does: the reader has what it wanted. Other errors of the stream are left to Node.
 */
function endQuietlyWhenTheReaderLeaves(stream: NodeJS.WritableStream): void {
  if (closedPipeWatched) return;
  closedPipeWatched = true;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export function createContext(options: {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdout?: CommandContext['stdout'];
  stderr?: CommandContext['stderr'];
  signal?: AbortSignal;
  profile?: string;
}): CommandContext {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  if (stdout === process.stdout) endQuietlyWhenTheReaderLeaves(stdout);
  const profile = options.profile ?? (env.AGENTLOGS_PROFILE || 'default');
  return {
    env,
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr,
    signal: options.signal ?? new AbortController().signal,
    profile,
    home: resolveHome(env),
    out: (line) => stdout.write(`${line}\n`),
    err: (line) => stderr.write(`${line}\n`),
  };
}
