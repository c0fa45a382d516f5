import {
  findCommit,
  findCommitsByPrefix,
  getCommitView,
  isLocalStoreError,
  type LocalDatabase,
  listCommitViews,
} from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { storeError } from '../open-store.js';
import { oneLine } from '../printable.js';
import { openLocalSyncStore } from '../sync/session.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

/** A cognitive commit as `commits list --json` / `commits show --json` print it. */
export type { CommitView } from '@agentlogs/local-store';

/** The full id of a live commit from an id or a unique prefix of at least 6 characters. */
async function resolveCommitId(database: LocalDatabase, given: string | undefined): Promise<string> {
  if (!given) throw usageError('a commit id is needed', "list them with 'agentlogs commits list'");
  const exact = await findCommit(database, given);
  if (exact) {
    if (exact.deleted) {
      throw new CliError(`the commit ${given} is deleted`, {
        exitCode: ExitCode.failure,
        hint: 'deleted commits cannot be changed or shown',
      });
    }
    return exact.id;
  }
  if (given.length < 6 || !/^[0-9a-f-]+$/i.test(given)) {
    throw new CliError(`no commit with id ${given}`, {
      exitCode: ExitCode.failure,
      hint: "list the ids with 'agentlogs commits list' (a unique prefix of 6 or more characters works)",
    });
  }
  const matches = await findCommitsByPrefix(database, given, 2);
  if (matches.length === 1) return matches[0]!;
  throw new CliError(
    matches.length === 0 ? `no commit with id ${given}` : `the id prefix ${given} matches several commits`,
    {
      exitCode: ExitCode.failure,
      hint: "list the ids with 'agentlogs commits list'",
    },
  );
}

async function withStore<T>(
  ctx: CommandContext,
  access: 'read' | 'write',
  fn: (s: ReturnType<typeof openLocalSyncStore>) => Promise<T>,
): Promise<T> {
  const s = openLocalSyncStore(ctx, access);
  try {
    return await fn(s);
  } catch (error) {
    if (isLocalStoreError(error) && error.code === 'RECORD_NOT_FOUND') {
      throw new CliError(error.message, { exitCode: ExitCode.failure });
    }
    throw storeError(error);
  } finally {
    await s.database.close();
  }
}

const listCommand: Command<OptionsOf<(typeof specs)['commits list']>> = {
  name: 'commits list',
  async run(ctx, args) {
    const limitText = (args.values.limit as string | undefined) ?? '50';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw usageError(`--limit must be a whole number, got "${limitText}"`);
    const session = args.values.session as string | undefined;
    const views = await withStore(ctx, 'read', ({ database }) =>
      listCommitViews(database, {
        includeHidden: args.values.all === true,
        ...(session ? { sessionId: session } : {}),
        ...(args.values.agent?.trim() ? { agent: args.values.agent.trim() } : {}),
        limit,
      }),
    );
    if (args.values.json === true) {
      ctx.out(JSON.stringify(views, null, 2));
      return ExitCode.ok;
    }
    if (views.length === 0) {
      ctx.out(
        args.values.agent?.trim()
          ? `No commits of agent "${args.values.agent.trim()}" (agents are named as 'agentlogs stats --by agent' shows them).`
          : "No commits. Import transcripts with 'agentlogs import'.",
      );
      return ExitCode.ok;
    }
    const lines = views.map((c) => {
      const flags = [c.hidden ? 'hidden' : '', c.pending ? 'not pushed' : ''].filter(Boolean).join(', ');
      const closed = c.git_hash ? `git ${c.git_hash}` : c.closed_by.replace('_', ' ');
      const label = `[${closed}] ${c.title ?? '(untitled)'}`;
      return [
        c.id,
        c.started_at.slice(0, 16).replace('T', ' '),
        (c.project_name ?? '-').slice(0, 16),
        `${c.turns} turns`,
        `${label}${flags ? `  [${flags}]` : ''}`,
      ];
    });
    const align = ['left', 'left', 'left', 'right', 'left'] as const;
    for (const line of renderTable(lines, { align })) ctx.out(line);
    return ExitCode.ok;
  },
};

const showCommand: Command<OptionsOf<(typeof specs)['commits show']>> = {
  name: 'commits show',
  async run(ctx, args) {
    if (args.positionals.length > 1) throw usageError('commits show takes one id');
    const view = await withStore(ctx, 'read', async ({ database }) => {
      const id = await resolveCommitId(database, args.positionals[0]);
      const found = await getCommitView(database, id);
      if (!found) throw new CliError(`no commit with id ${id}`, { exitCode: ExitCode.failure });
      return found;
    });
    if (args.values.json === true) {
      ctx.out(JSON.stringify(view, null, 2));
      return ExitCode.ok;
    }
    // Titles, project names, machine names and file paths come from transcripts or other machines.
    const show = (label: string, value: string) => ctx.out(`${label.padEnd(11)}${oneLine(value)}`);
    show('Commit:', view.id);
    show('Title:', `${view.title ?? '(none)'}${view.hidden ? '  [hidden]' : ''}`);
    show('Project:', view.project_name ?? '-');
    show('Session:', view.session_id ?? '-');
    show('Machine:', view.machine_name ?? view.machine_id ?? '-');
    show('Time:', `${view.started_at} → ${view.closed_at}`);
    show('Closed by:', `${view.closed_by}${view.git_hash ? ` (git ${view.git_hash})` : ''}`);
    show('Turns:', `${view.turns} (${view.input_tokens} input, ${view.output_tokens} output tokens)`);
    if (view.files_changed.length > 0) show('Files:', view.files_changed.join(', '));
    ctx.out(`Version:   ${view.version}${view.pending ? ' (not pushed yet)' : ''}`);
    return ExitCode.ok;
  },
};

function editCommand(
  name: 'title' | 'hide' | 'unhide' | 'delete',
  apply: (s: ReturnType<typeof openLocalSyncStore>, id: string, rest: string[]) => Promise<string>,
): Command {
  return {
    name: `commits ${name}`,
    async run(ctx, args) {
      const [given, ...rest] = args.positionals;
      if (name !== 'title' && rest.length > 0) throw usageError(`commits ${name} takes one id`);
      const message = await withStore(ctx, 'write', async (s) =>
        apply(s, await resolveCommitId(s.database, given), rest),
      );
      ctx.out(message);
      return ExitCode.ok;
    },
  };
}

export const commitsCommands: Command[] = [
  listCommand,
  showCommand,
  editCommand('title', async ({ store }, id, rest) => {
    const text = rest.join(' ').trim();
    if (text.length > 500) throw usageError('a title is at most 500 characters');
    const version = await store.setCommitTitle(id, text === '' ? null : text);
    return text === ''
      ? `Removed the title of ${id} (version ${version}).`
      : `Titled ${id} "${text}" (version ${version}).`;
  }),
  editCommand(
    'hide',
    async ({ store }, id) => `Hid ${id} (version ${await store.setCommitHidden(id, true)}).`,
  ),
  editCommand(
    'unhide',
    async ({ store }, id) => `Unhid ${id} (version ${await store.setCommitHidden(id, false)}).`,
  ),
  editCommand('delete', async ({ store }, id) => `Deleted ${id} (version ${await store.deleteCommit(id)}).`),
];
