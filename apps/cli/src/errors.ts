import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * Exit codes of the `agentlogs` binary. `agentlogs help exit-codes` prints EXIT_CODE_MEANINGS; docs/cli.md
 * lists the same (test/cli-parse.test.ts checks both).
 */
export const ExitCode = {
  ok: 0,
  /** The command ran but did not reach its goal (e.g. logged out for `whoami`, records dead-lettered). */
  failure: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** Missing or corrupt configuration (project URL, key, config file). */
  config: 3,
  /** Not logged in, or the session was rejected by the server. */
  auth: 4,
  /** The backend could not be reached or kept failing (network, 5xx) after retries. */
  unavailable: 5,
  /** The local database is locked by another process, or newer than this version of agentlogs. */
  localStore: 6,
  /**
   * A file or folder agentlogs needs cannot be read, written or created: permission denied, a read-only file
   * system or database, a file where a folder should be, a path that cannot exist.
   */
  fileSystem: 7,
  /** Interrupted by the user (Ctrl-C). */
  interrupted: 130,
  /** A bug: please report it. */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means, in the words of `agentlogs help exit-codes`. */
export const EXIT_CODE_MEANINGS: readonly (readonly [ExitCode, string])[] = [
  [ExitCode.ok, 'success'],
  [
    ExitCode.failure,
    'the command ran but did not reach its goal (e.g. `whoami` when logged out, records dead-lettered by a push)',
  ],
  [ExitCode.usage, 'bad flags or arguments'],
  [ExitCode.config, 'missing or corrupt configuration (project URL or key not set, unreadable config file)'],
  [ExitCode.auth, 'not logged in, or the session was rejected by the server'],
  [ExitCode.unavailable, 'the backend could not be reached, or kept failing after retries'],
  [
    ExitCode.localStore,
    'the local database is locked by another process, newer than this version of agentlogs, or damaged (the error says how to rebuild it)',
  ],
  [
    ExitCode.fileSystem,
    'a file or folder cannot be read, written or created (permission denied, read-only, not a folder, a path that cannot exist); the error names it',
  ],
  [ExitCode.internal, 'an internal error (a bug: please report it)'],
  [ExitCode.interrupted, 'interrupted (Ctrl-C)'],
];

/** An error the CLI reports as one line (plus an optional hint) and maps to an exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
  }
}

/**
 * Bad flags or arguments (exit 2). The error boundary follows the message (and the hint, when given) with
 * `Run 'agentlogs <command> --help' for usage.`
 */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: ExitCode.usage, hint });
}

/** The part of `target` that is a file where a folder is needed (ENOTDIR names the whole path). */
function notAFolder(target: string): string {
  for (let p = target; path.dirname(p) !== p; p = path.dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      // not there, or not reachable: look further up
    }
  }
  return target;
}

/** What to do about a file-system error, by its code. */
const FILE_SYSTEM_PROBLEMS: Record<string, { what: string; hint: string }> = {
  EACCES: {
    what: 'permission denied',
    hint: 'fix its permissions (or run as the user who owns it), or set AGENTLOGS_HOME to a folder you can write',
  },
  EPERM: {
    what: 'operation not permitted',
    hint: 'fix its permissions (or run as the user who owns it), or set AGENTLOGS_HOME to a folder you can write',
  },
  EROFS: {
    what: 'read-only file system',
    hint: 'set AGENTLOGS_HOME to a folder on a writable disk',
  },
  ENOTDIR: {
    what: 'not a folder',
    hint: 'move that file aside, or set AGENTLOGS_HOME to a folder',
  },
  EEXIST: {
    what: 'a file is in the way of a folder',
    hint: 'move that file aside, or set AGENTLOGS_HOME to a folder',
  },
  EISDIR: { what: 'a folder where a file is expected', hint: 'move that folder aside' },
  ENOENT: {
    what: 'cannot be created there',
    hint: 'set AGENTLOGS_HOME to a folder that exists or can be created',
  },
  ENOSPC: { what: 'no space left on the device', hint: 'free some space, then run the command again' },
  EDQUOT: { what: 'disk quota exceeded', hint: 'free some space, then run the command again' },
};

/**
 * A Node file-system error (EACCES, EROFS, ENOTDIR, …) as one line naming the path and what to do (exit 7);
 * undefined for anything else.
 */
export function fileSystemError(error: unknown): CliError | undefined {
  if (error instanceof CliError || typeof error !== 'object' || error === null) return undefined;
  const e = error as NodeJS.ErrnoException & { dest?: string };
  const problem = e.code ? FILE_SYSTEM_PROBLEMS[e.code] : undefined;
  if (!problem || (!e.path && !e.syscall)) return undefined;
  const where = e.code === 'ENOTDIR' && e.path ? notAFolder(e.path) : (e.path ?? e.dest);
  return new CliError(where ? `${where}: ${problem.what}` : `${problem.what} (${e.syscall})`, {
    exitCode: ExitCode.fileSystem,
    hint: problem.hint,
    cause: error,
  });
}
