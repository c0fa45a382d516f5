import type { CommandSpec } from './command.js';
import { type CommandEntry, type CommandGroup, commandTable } from './commands/index.js';
import { DOC_TOPICS, type DocTopic, readDoc, seeHelp } from './docs.js';
import { EXIT_CODE_MEANINGS } from './errors.js';
import { renderTable } from './table.js';
import { version } from './version.js';

/**
 * Topics of `agentlogs help <topic>`: the user docs the package carries (docs.ts), printed as they are written
 * (Markdown), and the exit codes. A topic is looked up before the commands: `help login` prints the login
 * guide, `login --help` the command's options.
 */
export const helpTopics: Record<string, { summary: string; text: () => string }> = {
  ...Object.fromEntries(
    (Object.keys(DOC_TOPICS) as DocTopic[]).map((topic) => [
      topic,
      { summary: DOC_TOPICS[topic].summary, text: () => readDoc(topic).trimEnd() },
    ]),
  ),
  'exit-codes': { summary: 'what each exit code of agentlogs means', text: exitCodesHelp },
};

const GLOBAL_OPTIONS = renderTable(
  [
    [
      '-p, --profile NAME',
      'use a named profile (env AGENTLOGS_PROFILE); each has its own database and login',
    ],
    ['-h, --help', 'show help (also `agentlogs <command> --help`, `agentlogs help <command>`)'],
    ['-v, -V, --version', 'print the version'],
  ],
  { indent: '  ' },
);

export function globalHelp(): string {
  return [
    `agentlogs ${version} — every AI coding agent session, on all your machines`,
    '',
    'Usage: agentlogs <command> [options]',
    '',
    'Commands:',
    ...renderTable(
      commandTable.map((e) => [e.name, e.spec.summary]),
      { indent: '  ' },
    ),
    '',
    'Global options:',
    ...GLOBAL_OPTIONS,
    '',
    'Help topics (agentlogs help <topic>):',
    ...renderTable(
      Object.entries(helpTopics).map(([name, topic]) => [name, topic.summary]),
      { indent: '  ' },
    ),
    '',
    'Environment: AGENTLOGS_HOME (data directory), AGENTLOGS_PROFILE, AGENTLOGS_SUPABASE_URL,',
    'AGENTLOGS_SUPABASE_ANON_KEY, AGENTLOGS_SYNC_ENABLED.',
  ].join('\n');
}

/** The subcommands of a group, as rows of the table. */
export function subcommands(group: string): CommandEntry[] {
  return commandTable.filter((e) => e.name.startsWith(`${group} `));
}

export function commandHelp(spec: CommandSpec, group?: CommandGroup): string {
  const lines = [`Usage: agentlogs ${spec.usage}`, '', spec.summary];
  if (spec.help) lines.push('', spec.help.trimEnd());
  if (group) {
    lines.push(
      '',
      'Commands:',
      ...renderTable(
        subcommands(group.name).map((e) => [e.name, e.spec.summary]),
        { indent: '  ' },
      ),
    );
  }
  return lines.join('\n');
}

/** `agentlogs commits` / `agentlogs commits --help`: the subcommands of a group that does not run on its own. */
export function groupHelp(group: CommandGroup): string {
  const lines = [
    `Usage: agentlogs ${group.name} <command> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...renderTable(
      subcommands(group.name).map((e) => [e.name, e.spec.summary]),
      { indent: '  ' },
    ),
  ];
  if (group.help) lines.push('', group.help.trimEnd());
  lines.push('', `Run 'agentlogs ${group.name} <command> --help' for a command's options.`);
  return lines.join('\n');
}

export function exitCodesHelp(): string {
  return [
    'Exit codes of agentlogs:',
    ...renderTable(
      EXIT_CODE_MEANINGS.map(([code, meaning]) => [String(code), meaning]),
      { indent: '  ', align: ['right', 'left'] },
    ),
    '',
    `Per command: ${seeHelp('cli')}, section Exit codes.`,
  ].join('\n');
}
