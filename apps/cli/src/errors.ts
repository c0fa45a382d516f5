/**
 * Exit codes of the `agentlogs` binary. Documented in docs/cli.md; keep both in step.
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

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, {
    exitCode: ExitCode.usage,
    hint: hint ?? "run 'agentlogs --help' for usage",
  });
}
