/**
 * Cognitive commits as `agentlogs commits list|show` print them: with the machine's name, the live turns'
 * totals and the changed files. Edits are on `SqliteSyncStore`; `commits.ts` has the compact summaries.
 */
import { isEnvelope } from '@agentlogs/content-policy';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from './open.js';
import type { Database } from './schema.js';

/** A live cognitive commit with its totals. */
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
  /** True while a local change waits to be pushed. */
  pending: boolean;
}

export interface ListCommitViewsOptions {
  /** Include hidden commits (default false). */
  includeHidden?: boolean;
  sessionId?: string;
  /** Only commits of sessions of this agent (`sessions.source`; `-` and `_` alike, case ignored). */
  agent?: string;
  /** Newest first; 0 or unset: all. */
  limit?: number;
}

function viewQuery(db: Kysely<Database>) {
  return db
    .selectFrom('cognitive_commits as c')
    .leftJoin('machines as m', 'm.id', 'c.machine_id')
    .select((eb) => {
      const liveTurns = () =>
        eb.selectFrom('turns as t').whereRef('t.commit_id', '=', 'c.id').where('t.deleted_at', 'is', null);
      return [
        'c.id',
        'c.title',
        'c.hidden',
        'c.session_id',
        'c.project_name',
        'c.git_hash',
        'c.closed_by',
        'c.started_at',
        'c.closed_at',
        'c.machine_id',
        'm.name as machine_name',
        'c.files_changed',
        'c.version',
        'c.synced_version',
        liveTurns()
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('turns'),
        liveTurns()
          .select((e) => e.fn.coalesce(e.fn.sum<number>('t.input_tokens'), e.lit(0)).as('n'))
          .as('input_tokens'),
        liveTurns()
          .select((e) => e.fn.coalesce(e.fn.sum<number>('t.output_tokens'), e.lit(0)).as('n'))
          .as('output_tokens'),
      ] as const;
    })
    .where('c.deleted_at', 'is', null);
}

type ViewRow = NonNullable<Awaited<ReturnType<ReturnType<typeof viewQuery>['executeTakeFirst']>>>;

/** Text this machine holds encrypted and cannot read (it has no key) shows as locked, never as ciphertext. */
const LOCKED = '(locked)';
const readable = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : isEnvelope(value) ? LOCKED : value;

function toView(row: ViewRow): CommitView {
  let files: string[] = [];
  try {
    if (isEnvelope(row.files_changed)) files = [LOCKED];
    const parsed = row.files_changed && files.length === 0 ? (JSON.parse(row.files_changed) as unknown) : [];
    if (Array.isArray(parsed) && files.length === 0) files = parsed.map(String);
  } catch {
    files = [];
  }
  return {
    id: row.id,
    title: readable(row.title),
    hidden: Number(row.hidden ?? 0) === 1,
    session_id: row.session_id ?? null,
    project_name: readable(row.project_name),
    git_hash: row.git_hash ?? null,
    closed_by: row.closed_by ?? '',
    started_at: row.started_at ?? '',
    closed_at: row.closed_at ?? '',
    machine_id: row.machine_id ?? null,
    machine_name: row.machine_name ?? null,
    turns: Number(row.turns ?? 0),
    input_tokens: Number(row.input_tokens ?? 0),
    output_tokens: Number(row.output_tokens ?? 0),
    files_changed: files,
    version: row.version,
    pending: row.version > row.synced_version,
  };
}

/** Live commits, newest first (then by id). */
export async function listCommitViews(
  database: LocalDatabase,
  options: ListCommitViewsOptions = {},
): Promise<CommitView[]> {
  let query = viewQuery(await database.kysely());
  if (!options.includeHidden) {
    query = query.where((eb) => eb.or([eb('c.hidden', 'is', null), eb('c.hidden', '=', 0)]));
  }
  if (options.sessionId !== undefined) query = query.where('c.session_id', '=', options.sessionId);
  if (options.agent !== undefined) {
    const agent = options.agent.trim().toLowerCase().replaceAll('-', '_');
    query = query.where('c.session_id', 'in', (eb) =>
      eb
        .selectFrom('sessions as s')
        .select('s.id')
        .where(
          (e) => e.fn<string>('replace', [e.fn<string>('lower', ['s.source']), e.val('-'), e.val('_')]),
          '=',
          agent,
        ),
    );
  }
  query = query.orderBy('c.started_at', 'desc').orderBy('c.id');
  if (options.limit !== undefined && options.limit > 0) query = query.limit(options.limit);
  return (await query.execute()).map(toView);
}

/** One live commit (hidden included) by its full id, or undefined. */
export async function getCommitView(database: LocalDatabase, id: string): Promise<CommitView | undefined> {
  const row = await viewQuery(await database.kysely())
    .where('c.id', '=', id)
    .executeTakeFirst();
  return row ? toView(row) : undefined;
}

/** The commit with exactly this id, live or deleted, or undefined. */
export async function findCommit(
  database: LocalDatabase,
  id: string,
): Promise<{ id: string; deleted: boolean } | undefined> {
  const db = await database.kysely();
  const row = await db
    .selectFrom('cognitive_commits')
    .select(['id', 'deleted_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { id: row.id, deleted: row.deleted_at !== null } : undefined;
}

/**
 * Ids of live commits starting with `prefix` (compared case-insensitively), at most `limit` (default 2:
 * enough to tell a unique prefix from an ambiguous one). `%` and `_` in the prefix match only themselves.
 */
export async function findCommitsByPrefix(
  database: LocalDatabase,
  prefix: string,
  limit = 2,
): Promise<string[]> {
  const db = await database.kysely();
  const { sql } = await import('kysely');
  const pattern = `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectFrom('cognitive_commits')
    .select('id')
    .where(sql<boolean>`id like ${pattern} escape '\\'`)
    .where('deleted_at', 'is', null)
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}
