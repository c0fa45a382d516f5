import type { CommandContext } from './context.js';

/** One option of a command: `--name` (and `-x` when `short` is set), a switch or a value. */
export interface OptionSpec {
  type: 'boolean' | 'string';
  /** One letter: `-j` for `--json`. */
  short?: string;
  /** A value option given more than once collects every value. */
  multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed value of one option: a switch is `true`, a value option its text (all of them when `multiple`). */
type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string;

/** What `--flag` parsing gives a command: one typed, optional field per declared option. */
export type OptionValues<O extends OptionSpecs> = { -readonly [K in keyof O]?: OptionValue<O[K]> };

/** A command's parsed command line; `V` is typed by its options (`OptionValues`). */
export interface ParsedArgs<V = Record<string, string | boolean | string[] | boolean[] | undefined>> {
  values: V;
  positionals: string[];
}

/**
 * What the command table knows about a command without loading its code: the help text and the options.
 * `agentlogs --help` and `agentlogs <command> --help` are built from these alone.
 */
export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** e.g. `import` or `sync status`. */
  name: string;
  summary: string;
  /** Usage line(s) after `agentlogs `, e.g. `import [--claude-dir DIR]... [--json]`. */
  usage: string;
  /** Longer help: option descriptions, examples. */
  help?: string;
  options?: O;
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
}

/** The code of a command, in its own module: a plain async function that returns an exit code. */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  /** The name the command has in the table (checked by test/command-table.test.ts). */
  name: string;
  run(ctx: CommandContext, args: ParsedArgs<OptionValues<O>>): Promise<number>;
}

/** Declares a command's spec, keeping the literal option types that type its arguments. */
export function commandSpec<const O extends OptionSpecs = Record<never, OptionSpec>>(
  spec: CommandSpec<O>,
): CommandSpec<O> {
  return spec;
}

/** The options of a spec, for typing a command module's `run` (`Command<OptionsOf<typeof stats>>`). */
export type OptionsOf<S> = S extends CommandSpec<infer O> ? O : never;
