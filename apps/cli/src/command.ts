import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** One CLI command: its help text, its flags, and a plain async function that returns an exit code. */
export interface Command {
  /** e.g. `import` or `sync status`. */
  name: string;
  summary: string;
  /** Usage line(s) after `agentlogs `, e.g. `import [--claude-dir DIR] [--json]`. */
  usage: string;
  /** Longer help: option descriptions, examples. */
  help?: string;
  options?: OptionSpec;
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}
