import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError, ExitCode } from './errors.js';

/**
 * The user docs the CLI carries: `agentlogs help <topic>` prints one. The bundle copies each file into the
 * package (`dist/docs/…`, `dist/supabase/README.md`) and points these URLs there (rolldown.config.ts), so an
 * installed CLI reads its own copy, the one that matches its version; run from the sources, they are the
 * repository's files. Help text and hints name a topic (`see 'agentlogs help login'`), never a web address.
 */
export const DOC_TOPICS = {
  cli: {
    summary: 'every command, its options, output and exit codes',
    file: () => new URL('../../../docs/cli.md', import.meta.url),
  },
  login: {
    summary: 'GitHub login through your Supabase project, also over SSH',
    file: () => new URL('../../../docs/login.md', import.meta.url),
  },
  supabase: {
    summary: 'apply the schema to your Supabase project and allow the login',
    file: () => new URL('../../../supabase/README.md', import.meta.url),
  },
  'sync-service': {
    summary: "run 'agentlogs sync --watch' as a systemd user service or a launchd agent",
    file: () => new URL('../../../docs/sync-service.md', import.meta.url),
  },
} as const;

export type DocTopic = keyof typeof DOC_TOPICS;

/** How help text and hints refer to a topic: `'agentlogs help login'`, quoted as a command to type. */
export function seeHelp(topic: DocTopic): string {
  return `'agentlogs help ${topic}'`;
}

/** The text of a topic, as shipped. */
export function readDoc(topic: DocTopic): string {
  const file = DOC_TOPICS[topic].file();
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `the help topic '${topic}' is missing from this installation (${fileURLToPath(file)})`,
      {
        exitCode: ExitCode.fileSystem,
        hint: 'reinstall agentlogs (npm i -g @agentlogs/cli), or read docs/ in its repository',
        cause: error,
      },
    );
  }
}
