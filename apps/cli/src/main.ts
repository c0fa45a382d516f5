import { ArgsError, closest, didYouMean, parseCommandArgs } from './args.js';
import { type CommandEntry, type CommandGroup, commandGroups, commandTable } from './commands/index.js';
import { createContext, profileNameProblem } from './context.js';
import { CliError, ExitCode, fileSystemError } from './errors.js';
import { commandHelp, globalHelp, groupHelp, helpTopics } from './help.js';
import { printable } from './printable.js';
import { noticeOldNode, version } from './version.js';

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  signal?: AbortSignal;
}

/** What the first words of the command line name. */
type Resolved =
  | { kind: 'command'; entry: CommandEntry; rest: string[]; group?: CommandGroup }
  | { kind: 'group'; group: CommandGroup; rest: string[] }
  | { kind: 'unknown'; scope: string; message: string };

const isWord = (arg: string | undefined): arg is string => arg !== undefined && !arg.startsWith('-');

/** The command or group that `args` starts with: `sync status` before `sync`, `commits` alone as a group. */
function resolve(args: string[]): Resolved {
  const [first, second] = args;
  if (!isWord(first)) {
    const hint = didYouMean(first ?? '', ['--help', '--version', '--profile']);
    return { kind: 'unknown', scope: '', message: `unknown option "${first}"${hint}` };
  }
  const group = commandGroups.find((g) => g.name === first);
  const own = commandTable.find((e) => e.name === first);
  if (group) {
    const subs = commandTable.filter((e) => e.name.startsWith(`${first} `)).map((e) => e.name);
    if (isWord(second)) {
      const entry = commandTable.find((e) => e.name === `${first} ${second}`);
      if (entry) return { kind: 'command', entry, rest: args.slice(2), group };
      if (!own?.spec.positionals) {
        const wanted = `${first} ${second}`;
        return {
          kind: 'unknown',
          scope: first,
          message: `unknown subcommand "${wanted}"${didYouMean(wanted, subs)}`,
        };
      }
    }
    if (own) return { kind: 'command', entry: own, rest: args.slice(1), group };
    return { kind: 'group', group, rest: args.slice(1) };
  }
  if (own) return { kind: 'command', entry: own, rest: args.slice(1) };
  const topLevel = [...new Set(commandTable.map((e) => e.name.split(' ')[0]!))];
  const lastWords = commandTable.filter((e) => e.name.includes(' ')).map((e) => e.name.split(' ').pop()!);
  const sub = topLevel.includes(first) ? undefined : closest(first, lastWords);
  const meant = closest(first, topLevel) ?? commandTable.find((e) => sub && e.name.endsWith(` ${sub}`))?.name;
  return {
    kind: 'unknown',
    scope: '',
    message: `unknown command "${first}"${meant ? ` (did you mean "${meant}"?)` : ''}`,
  };
}

/** `agentlogs <scope>: <message>` and where to read the usage: the one style of every usage error. */
function usageLines(scope: string, message: string): string {
  const where = scope ? `agentlogs ${scope}` : 'agentlogs';
  return `${where}: ${printable(message)}\nRun '${where} --help' for usage.\n`;
}

/** Options every command takes, wherever they appear (before a `--`): the profile and help. */
interface GlobalOptions {
  args: string[];
  profile?: string;
  help: boolean;
  error?: string;
}

function takeGlobalOptions(argv: string[]): GlobalOptions {
  const out: GlobalOptions = { args: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.args.push(...argv.slice(i));
      break;
    }
    if (a === '--profile' || a === '-p') {
      const name = argv[i + 1];
      if (name === undefined || name.startsWith('-')) out.error ??= `${a} needs a profile name`;
      else out.profile = name;
      i++;
    } else if (a.startsWith('--profile=')) out.profile = a.slice('--profile='.length);
    else if (a === '--help' || a === '-h') out.help = true;
    else out.args.push(a);
  }
  if (!out.error && out.profile !== undefined) out.error = profileNameProblem(out.profile);
  return out;
}

/** Runs one CLI invocation and returns its exit code. Never throws for expected failures. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;

  const globals = takeGlobalOptions(argv);
  const { args, profile } = globals;
  if (!globals.error && profile === undefined && env.AGENTLOGS_PROFILE)
    globals.error = profileNameProblem(env.AGENTLOGS_PROFILE, 'AGENTLOGS_PROFILE');
  if (args.length === 0 || args[0] === '--version' || args[0] === '-v' || args[0] === '-V') {
    if (globals.error) {
      stderr.write(usageLines('', globals.error));
      return ExitCode.usage;
    }
    stdout.write(args.length === 0 ? `${globalHelp()}\n` : `${version}\n`);
    return ExitCode.ok;
  }

  // `agentlogs help [command…|topic]` is `agentlogs [command…] --help`.
  const asHelp = args[0] === 'help';
  const words = asHelp ? args.slice(1) : args;
  if (asHelp && words.length === 0) {
    stdout.write(`${globalHelp()}\n`);
    return ExitCode.ok;
  }
  const topic =
    asHelp && words.length === 1 && Object.hasOwn(helpTopics, words[0]!) ? helpTopics[words[0]!] : undefined;
  if (topic) {
    try {
      stdout.write(`${topic.text()}\n`);
    } catch (error) {
      return reportError(error, 'help', stderr);
    }
    return ExitCode.ok;
  }
  const found = resolve(words);
  if (found.kind === 'unknown') {
    const topics = asHelp ? didYouMean(words[0] ?? '', Object.keys(helpTopics)) : '';
    stderr.write(usageLines(found.scope, `${found.message}${found.message.includes('(did') ? '' : topics}`));
    return ExitCode.usage;
  }
  const scope = found.kind === 'group' ? found.group.name : found.entry.name;
  if (globals.error) {
    stderr.write(usageLines(scope, globals.error));
    return ExitCode.usage;
  }
  if (found.kind === 'group') {
    // `agentlogs commits`: the group's subcommands, on stdout when asked for, else as a usage error.
    if (globals.help || asHelp) {
      stdout.write(`${groupHelp(found.group)}\n`);
      return ExitCode.ok;
    }
    stderr.write(`${groupHelp(found.group)}\n`);
    return ExitCode.usage;
  }
  const { entry, rest } = found;
  const isGroupCommand = found.group?.name === entry.name ? found.group : undefined;
  if (globals.help || asHelp) {
    stdout.write(`${commandHelp(entry.spec, isGroupCommand)}\n`);
    return ExitCode.ok;
  }

  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(entry.spec, rest);
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    stderr.write(usageLines(entry.name, error.message));
    return ExitCode.usage;
  }
  const command = await entry.load();

  const controller = new AbortController();
  let firstSigintAt = 0;
  const onSigint = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C quits at once; one arriving within a second of the first is the same keypress
      // delivered twice (a terminal and its process group), not a second request.
      if (Date.now() - firstSigintAt < 1000) return;
      stderr.write('agentlogs: quitting at once\n');
      process.exit(ExitCode.interrupted);
    }
    firstSigintAt = Date.now();
    stderr.write('\nagentlogs: stopping after the step in flight (Ctrl-C again to quit at once)\n');
    controller.abort(new CliError('interrupted', { exitCode: ExitCode.interrupted }));
  };
  const external = options.signal;
  external?.addEventListener('abort', () => controller.abort(external.reason), { once: true });
  if (!options.signal) process.on('SIGINT', onSigint);

  try {
    const ctx = createContext({
      env,
      cwd: options.cwd,
      stdout,
      stderr,
      signal: controller.signal,
      profile: profile ?? (env.AGENTLOGS_PROFILE || 'default'),
    });
    noticeOldNode(ctx);
    return await command.run(ctx, parsed);
  } catch (error) {
    return reportError(error, command.name, stderr);
  } finally {
    if (!options.signal) process.off('SIGINT', onSigint);
  }
}

/** The one error boundary: maps an error to a one-line message, an optional hint, and an exit code. */
export function reportError(error: unknown, commandName: string, stderr: NodeJS.WritableStream): number {
  const fsError = fileSystemError(error);
  if (fsError) return reportError(fsError, commandName, stderr);
  if (error instanceof CliError) {
    // Messages may quote the server or a transcript (an error description, a title): no control characters.
    stderr.write(`agentlogs ${commandName}: ${printable(error.message)}\n`);
    if (error.hint) stderr.write(`  hint: ${printable(error.hint)}\n`);
    if (error.exitCode === ExitCode.usage) stderr.write(`Run 'agentlogs ${commandName} --help' for usage.\n`);
    return error.exitCode;
  }
  const e = error as { code?: string; message?: string };
  if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') {
    stderr.write(
      `agentlogs ${commandName}: the local database is busy (another agentlogs process is writing)\n`,
    );
    stderr.write('  hint: wait for the other process to finish, then run the command again\n');
    return ExitCode.localStore;
  }
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE_READONLY')) {
    stderr.write(
      `agentlogs ${commandName}: the local database cannot be written by this user (${e.message})\n`,
    );
    stderr.write('  hint: run the command as the user who owns the data folder, or fix its permissions\n');
    return ExitCode.fileSystem;
  }
  stderr.write(
    `agentlogs ${commandName}: unexpected error: ${printable(e?.message ?? String(error))}\n` +
      '  hint: this is a bug; please report it with the command you ran\n',
  );
  if (process.env.AGENTLOGS_DEBUG) stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return ExitCode.internal;
}
