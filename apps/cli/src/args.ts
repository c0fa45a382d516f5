import { parseArgs } from 'node:util';
import type { CommandSpec, OptionSpecs, OptionValues, ParsedArgs } from './command.js';

/** A mistake in the command line: what is wrong, said in one line (without the `agentlogs <cmd>: ` prefix). */
export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgsError';
  }
}

/**
 * The number of single-character edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate the user most likely meant by `word`: the only one it is a prefix of, else the closest one
 * within a couple of typos (one for words of up to four letters). Undefined when nothing is close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.startsWith(lower));
  if (lower.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const distance = editDistance(lower, c);
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  const allowed = Math.min(word.length, best?.length ?? 0) <= 4 ? 1 : 2;
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)` when something is close, else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match ? ` (did you mean "${match}"?)` : '';
}

/**
 * Parses a command's arguments against its declared options with Node's `util.parseArgs` (its tokens, so
 * that every mistake is reported here in one style). Throws `ArgsError` for an unknown option, a switch given
 * a value, a value option without one, or a positional argument the command does not take.
 */
export function parseCommandArgs<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  argv: string[],
): ParsedArgs<OptionValues<O>> {
  const options: OptionSpecs = spec.options ?? {};
  // `-json` would read as `-j -s on`: a single dash before a long option's name is a typo, not a group.
  for (const arg of argv) {
    if (arg === '--') break;
    if (/^-[^-]{2,}$/.test(arg) && Object.hasOwn(options, arg.slice(1).split('=')[0]!))
      throw new ArgsError(`unknown option "${arg}" (did you mean "-${arg}"?)`);
  }
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const longNames = Object.keys(options).map((name) => `--${name}`);
  const values: Record<string, string | boolean | string[] | boolean[]> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!spec.positionals) throw new ArgsError(`unexpected argument "${token.value}"`);
      positionals.push(token.value);
      continue;
    }
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!option) {
      // `-json` reads as `-j -s -o -n`: name the word as written, and the long option it resembles.
      const arg = argv[token.index] ?? token.rawName;
      const written = token.rawName.startsWith('--')
        ? token.rawName
        : /^-[^-]/.test(arg)
          ? arg
          : token.rawName;
      const hint = written.startsWith('--')
        ? didYouMean(written, longNames)
        : written.length > 2
          ? didYouMean(`-${written}`, longNames)
          : '';
      throw new ArgsError(`unknown option "${written}"${hint}`);
    }
    const label = `--${token.name}`;
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new ArgsError(`${label} takes no value`);
      values[token.name] = true;
      continue;
    }
    // A value that looks like an option is taken for one forgotten value (`--since --json`): --since=-x says otherwise.
    if (
      token.value === undefined ||
      (!token.inlineValue && token.value.startsWith('-') && token.value !== '-')
    )
      throw new ArgsError(`${label} needs a value`);
    if (option.multiple) {
      const list = (values[token.name] as string[] | undefined) ?? [];
      list.push(token.value);
      values[token.name] = list;
    } else values[token.name] = token.value;
  }
  return { values: values as OptionValues<O>, positionals };
}
