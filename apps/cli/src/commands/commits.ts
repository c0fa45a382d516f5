import {
  findCommit,
  findCommitsByPrefix,
  getCommitView,
  isLocalStoreError,
  type LocalDatabase,
  listCommitViews,
} from '@agentlogs/local-store';
import type { Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { storeError } from '../open-store.js';
import { openLocalSyncStore } from '../sync/session.js';

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
  fn: (s: ReturnType<typeof openLocalSyncStore>) => Promise<T>,
): Promise<T> {
  const s = openLocalSyncStore(ctx);
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

const SYNC_NOTE = "The change is local until the next 'agentlogs push' or 'agentlogs sync'.";

const listCommand: Command = {
  name: 'commits list',
  summary: 'List cognitive commits (units of work closed by a git commit or the end of a session)',
  usage: 'commits list [--all] [--session ID] [--limit N] [--json]',
  help: `Options:
  --all          include hidden commits
  --session ID   only the commits of this session
  --limit N      at most N commits, newest first (default 50; 0 = all)
  --json         print an array of {id, title, hidden, session_id, project_name, git_hash, closed_by,
                 started_at, closed_at, machine_id, machine_name, turns, input_tokens, output_tokens,
                 files_changed, version, pending}

Deleted commits are never listed.`,
  options: {
    all: { type: 'boolean' },
    session: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx, args) {
    const limitText = (args.values.limit as string | undefined) ?? '50';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw usageError(`--limit must be a whole number, got "${limitText}"`);
    const session = args.values.session as string | undefined;
    const views = await withStore(ctx, ({ database }) =>
      listCommitViews(database, {
        includeHidden: args.values.all === true,
        ...(session ? { sessionId: session } : {}),
        limit,
      }),
    );
    if (args.values.json === true) {
      ctx.out(JSON.stringify(views, null, 2));
      return ExitCode.ok;
    }
    if (views.length === 0) {
      ctx.out("No commits. Import transcripts with 'agentlogs import'.");
      return ExitCode.ok;
    }
    for (const c of views) {
      const flags = [c.hidden ? 'hidden' : '', c.pending ? 'not pushed' : ''].filter(Boolean).join(', ');
      const closed = c.git_hash ? `git ${c.git_hash}` : c.closed_by.replace('_', ' ');
      const label = `[${closed}] ${c.title ?? '(untitled)'}`;
      ctx.out(
        `${c.id}  ${c.started_at.slice(0, 16).replace('T', ' ')}  ${(c.project_name ?? '-').padEnd(16).slice(0, 16)}  ${String(c.turns).padStart(5)} turns  ${label}${flags ? `  [${flags}]` : ''}`,
      );
    }
    return ExitCode.ok;
  },
};

const showCommand: Command = {
  name: 'commits show',
  summary: 'Show one cognitive commit',
  usage: 'commits show <id> [--json]',
  help: 'The id may be a unique prefix of 6 or more characters. --json prints the fields of `commits list --json`.',
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run(ctx, args) {
    if (args.positionals.length > 1) throw usageError('commits show takes one id');
    const view = await withStore(ctx, async ({ database }) => {
      const id = await resolveCommitId(database, args.positionals[0]);
      const found = await getCommitView(database, id);
      if (!found) throw new CliError(`no commit with id ${id}`, { exitCode: ExitCode.failure });
      return found;
    });
    if (args.values.json === true) {
      ctx.out(JSON.stringify(view, null, 2));
      return ExitCode.ok;
    }
    ctx.out(`Commit:    ${view.id}`);
    ctx.out(`Title:     ${view.title ?? '(none)'}${view.hidden ? '  [hidden]' : ''}`);
    ctx.out(`Project:   ${view.project_name ?? '-'}`);
    ctx.out(`Session:   ${view.session_id ?? '-'}`);
    ctx.out(`Machine:   ${view.machine_name ?? view.machine_id ?? '-'}`);
    ctx.out(`Time:      ${view.started_at} → ${view.closed_at}`);
    ctx.out(`Closed by: ${view.closed_by}${view.git_hash ? ` (git ${view.git_hash})` : ''}`);
    ctx.out(`Turns:     ${view.turns} (${view.input_tokens} input, ${view.output_tokens} output tokens)`);
    if (view.files_changed.length > 0) ctx.out(`Files:     ${view.files_changed.join(', ')}`);
    ctx.out(`Version:   ${view.version}${view.pending ? ' (not pushed yet)' : ''}`);
    return ExitCode.ok;
  },
};

function editCommand(
  name: 'title' | 'hide' | 'unhide' | 'delete',
  summary: string,
  help: string,
  apply: (s: ReturnType<typeof openLocalSyncStore>, id: string, rest: string[]) => Promise<string>,
): Command {
  return {
    name: `commits ${name}`,
    summary,
    usage: name === 'title' ? 'commits title <id> <text>' : `commits ${name} <id>`,
    help: `${help}\nThe id may be a unique prefix of 6 or more characters. ${SYNC_NOTE}`,
    positionals: true,
    async run(ctx, args) {
      const [given, ...rest] = args.positionals;
      if (name !== 'title' && rest.length > 0) throw usageError(`commits ${name} takes one id`);
      const message = await withStore(ctx, async (s) =>
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
  editCommand(
    'title',
    'Give a commit a title (synced to your other machines)',
    'An empty text removes the title.',
    async ({ store }, id, rest) => {
      const text = rest.join(' ').trim();
      if (text.length > 500) throw usageError('a title is at most 500 characters');
      const version = await store.setCommitTitle(id, text === '' ? null : text);
      return text === ''
        ? `Removed the title of ${id} (version ${version}).`
        : `Titled ${id} "${text}" (version ${version}).`;
    },
  ),
  editCommand(
    'hide',
    'Hide a commit from lists (synced as a flag; unhide brings it back)',
    'Hidden commits still count in stats and stay on every machine; `commits list --all` shows them.',
    async ({ store }, id) => `Hid ${id} (version ${await store.setCommitHidden(id, true)}).`,
  ),
  editCommand(
    'unhide',
    'Show a hidden commit in lists again',
    'Clears the hidden flag.',
    async ({ store }, id) => `Unhid ${id} (version ${await store.setCommitHidden(id, false)}).`,
  ),
  editCommand(
    'delete',
    'Delete a commit on every machine (a tombstone; a re-import never brings it back)',
    'The commit and its visuals become tombstones that sync to your other machines. Its turns stay: they\nare the usage record of the session and keep counting in stats.',
    async ({ store }, id) => `Deleted ${id} (version ${await store.deleteCommit(id)}).`,
  ),
];
