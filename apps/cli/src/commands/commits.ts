import { isLocalStoreError, type LocalDatabase } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { storeError } from '../open-store.js';
import { openLocalSyncStore } from '../sync/session.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

/** A cognitive commit as `commits list --json` / `commits show --json` print it. */
export interface CommitView {
  id: string;
  title: string | null;
  hidden: boolean;
  session_id: string | null;
  project_name: string | null;
  git_hash: string | null;
  closed_by: string;
  started_at: string;
  closed_at: string;
  machine_id: string | null;
  machine_name: string | null;
  turns: number;
  input_tokens: number;
  output_tokens: number;
  files_changed: string[];
  version: number;
  pending: boolean;
}

const SELECT = `
  select c.id, c.title, coalesce(c.hidden, 0) as hidden, c.session_id, c.project_name, c.git_hash, c.closed_by,
         c.started_at, c.closed_at, c.machine_id, m.name as machine_name, c.files_changed, c.version,
         c.version > c.synced_version as pending,
         (select count(*) from turns t where t.commit_id = c.id and t.deleted_at is null) as turns,
         (select coalesce(sum(t.input_tokens), 0) from turns t where t.commit_id = c.id and t.deleted_at is null) as input_tokens,
         (select coalesce(sum(t.output_tokens), 0) from turns t where t.commit_id = c.id and t.deleted_at is null) as output_tokens
    from cognitive_commits c
    left join machines m on m.id = c.machine_id
   where c.deleted_at is null`;

function toView(row: Record<string, unknown>): CommitView {
  let files: string[] = [];
  try {
    const parsed = row.files_changed ? (JSON.parse(String(row.files_changed)) as unknown) : [];
    if (Array.isArray(parsed)) files = parsed.map(String);
  } catch {
    files = [];
  }
  return {
    id: String(row.id),
    title: (row.title as string | null) ?? null,
    hidden: Number(row.hidden) === 1,
    session_id: (row.session_id as string | null) ?? null,
    project_name: (row.project_name as string | null) ?? null,
    git_hash: (row.git_hash as string | null) ?? null,
    closed_by: String(row.closed_by ?? ''),
    started_at: String(row.started_at ?? ''),
    closed_at: String(row.closed_at ?? ''),
    machine_id: (row.machine_id as string | null) ?? null,
    machine_name: (row.machine_name as string | null) ?? null,
    turns: Number(row.turns),
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    files_changed: files,
    version: Number(row.version),
    pending: Number(row.pending) === 1,
  };
}

/** The full id of a live commit from an id or a unique prefix of at least 6 characters. */
function resolveCommitId(database: LocalDatabase, given: string | undefined): string {
  if (!given) throw usageError('a commit id is needed', "list them with 'agentlogs commits list'");
  const exact = database.sqlite
    .prepare('select id, deleted_at from cognitive_commits where id = ?')
    .get(given) as { id: string; deleted_at: string | null } | undefined;
  if (exact) {
    if (exact.deleted_at !== null) {
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
  const matches = database.sqlite
    .prepare('select id from cognitive_commits where id like ? and deleted_at is null limit 2')
    .all(`${given.toLowerCase()}%`) as { id: string }[];
  if (matches.length === 1) return matches[0]!.id;
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
    const rows = await withStore(ctx, 'read', async ({ database }) => {
      const where = [
        args.values.all === true ? '' : ' and coalesce(c.hidden, 0) = 0',
        session ? ' and c.session_id = @session' : '',
      ].join('');
      return database.sqlite
        .prepare(`${SELECT}${where} order by c.started_at desc, c.id${limit > 0 ? ` limit ${limit}` : ''}`)
        .all(session ? { session } : {}) as Record<string, unknown>[];
    });
    const views = rows.map(toView);
    if (args.values.json === true) {
      ctx.out(JSON.stringify(views, null, 2));
      return ExitCode.ok;
    }
    if (views.length === 0) {
      ctx.out("No commits. Import transcripts with 'agentlogs import'.");
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
      const id = resolveCommitId(database, args.positionals[0]);
      return toView(database.sqlite.prepare(`${SELECT} and c.id = ?`).get(id) as Record<string, unknown>);
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
  apply: (s: ReturnType<typeof openLocalSyncStore>, id: string, rest: string[]) => Promise<string>,
): Command {
  return {
    name: `commits ${name}`,
    async run(ctx, args) {
      const [given, ...rest] = args.positionals;
      if (name !== 'title' && rest.length > 0) throw usageError(`commits ${name} takes one id`);
      const message = await withStore(ctx, 'write', async (s) =>
        apply(s, resolveCommitId(s.database, given), rest),
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
