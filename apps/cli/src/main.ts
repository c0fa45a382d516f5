import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { type CommandEntry, commandTable, loadAllCommands } from './commands/index.js';
import { createContext } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { version } from './version.js';

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  signal?: AbortSignal;
}

/** Finds the longest command name that prefixes argv (`sync status` before `sync`). */
function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  let best: { entry: CommandEntry; rest: string[] } | undefined;
  for (const entry of commandTable) {
    const parts = entry.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) {
      if (!best || parts.length > best.entry.name.split(' ').length) {
        // Remove the command words from argv, keep everything else in order.
        const rest = [...argv];
        for (const p of parts) rest.splice(rest.indexOf(p), 1);
        best = { entry, rest };
      }
    }
  }
  return best;
}

function globalHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    `agentlogs ${version} — every AI coding agent session, on all your machines`,
    '',
    'Usage: agentlogs <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --profile NAME   use a named profile (env AGENTLOGS_PROFILE); each has its own database and login',
    '  -h, --help       show help (also `agentlogs <command> --help`)',
    '  -v, --version    print the version',
    '',
    'Environment: AGENTLOGS_HOME (data directory), AGENTLOGS_PROFILE, AGENTLOGS_SUPABASE_URL,',
    'AGENTLOGS_SUPABASE_ANON_KEY, AGENTLOGS_SYNC_ENABLED. Exit codes: see docs/cli.md.',
  ];
  return lines.join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`Usage: agentlogs ${command.usage}`, '', command.summary];
  if (command.help) lines.push('', command.help.trimEnd());
  return lines.join('\n');
}

/** Runs one CLI invocation and returns its exit code. Never throws for expected failures. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;

  // Global flags may appear anywhere; --profile takes a value.
  let profile: string | undefined;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--profile') {
      profile = argv[++i];
      if (!profile) {
        stderr.write('agentlogs: --profile needs a name\n');
        return ExitCode.usage;
      }
    } else if (a.startsWith('--profile=')) profile = a.slice('--profile='.length);
    else args.push(a);
  }
  if (profile !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(profile)) {
    stderr.write(`agentlogs: invalid profile name "${profile}": use letters, digits, - and _\n`);
    return ExitCode.usage;
  }

  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    const topic = args[0] === 'help' ? findCommand(args.slice(1)) : undefined;
    stdout.write(`${topic ? commandHelp(await topic.entry.load()) : globalHelp(await loadAllCommands())}\n`);
    return ExitCode.ok;
  }
  if (args[0] === '--version' || args[0] === '-v') {
    stdout.write(`${version}\n`);
    return ExitCode.ok;
  }

  const found = findCommand(args);
  if (!found) {
    stderr.write(`agentlogs: unknown command "${args[0]}"; run 'agentlogs --help' for the list\n`);
    return ExitCode.usage;
  }
  const { rest } = found;
  const command = await found.entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.ok;
  }

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
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: command.options ?? {},
        allowPositionals: command.positionals ?? false,
        strict: true,
      });
    } catch (error) {
      const msg = error instanceof Error ? error.message.split('\n')[0] : String(error);
      stderr.write(`agentlogs ${command.name}: ${msg}\nUsage: agentlogs ${command.usage}\n`);
      return ExitCode.usage;
    }
    const ctx = createContext({
      env,
      cwd: options.cwd,
      stdout,
      stderr,
      signal: controller.signal,
      profile: profile ?? env.AGENTLOGS_PROFILE ?? 'default',
    });
    return await command.run(ctx, {
      values: parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>,
      positionals: parsed.positionals,
    });
  } catch (error) {
    return reportError(error, command.name, stderr);
  } finally {
    if (!options.signal) process.off('SIGINT', onSigint);
  }
}

/** The one error boundary: maps an error to a one-line message, an optional hint, and an exit code. */
export function reportError(error: unknown, commandName: string, stderr: NodeJS.WritableStream): number {
  if (error instanceof CliError) {
    stderr.write(`agentlogs ${commandName}: ${error.message}\n`);
    if (error.hint) stderr.write(`  hint: ${error.hint}\n`);
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
  stderr.write(
    `agentlogs ${commandName}: unexpected error: ${e?.message ?? String(error)}\n` +
      '  hint: this is a bug; please report it with the command you ran\n',
  );
  if (process.env.AGENTLOGS_DEBUG) stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return ExitCode.internal;
}
