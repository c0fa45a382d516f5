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
