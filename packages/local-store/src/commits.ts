/**
 * Reading cognitive commits for people (`agentlogs commits list|show`). Edits are on `SqliteSyncStore`.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface CommitSummary {
  id: string;
  title: string | null;
  git_hash: string | null;
  closed_by: string;
  started_at: string;
  closed_at: string;
  session_id: string | null;
  project_name: string | null;
  hidden: boolean;
  deleted: boolean;
  /** Live turns attributed to the commit. */
  turns: number;
  version: number;
  /** True while a local change waits to be pushed. */
  pending: boolean;
}

export interface ListCommitsOptions {
  /** Include hidden commits (default false). */
  includeHidden?: boolean;
  /** Include deleted commits (tombstones; default false). */
  includeDeleted?: boolean;
  sessionId?: string;
  /** Newest first; default 50. */
  limit?: number;
}

function commitQuery(db: Kysely<Database>) {
  return db.selectFrom('cognitive_commits as c').select((eb) => [
    'c.id',
    'c.title',
    'c.git_hash',
    'c.closed_by',
    'c.started_at',
    'c.closed_at',
    'c.session_id',
    'c.project_name',
    'c.hidden',
    'c.deleted_at',
    'c.version',
    'c.synced_version',
    eb
      .selectFrom('turns as t')
      .whereRef('t.commit_id', '=', 'c.id')
      .where('t.deleted_at', 'is', null)
      .select((inner) => inner.fn.countAll<number>().as('n'))
      .as('turns'),
  ]);
}

type CommitRow = Awaited<ReturnType<ReturnType<typeof commitQuery>['executeTakeFirst']>>;

function toSummary(row: NonNullable<CommitRow>): CommitSummary {
  return {
    id: row.id,
    title: row.title,
    git_hash: row.git_hash,
    closed_by: row.closed_by,
    started_at: row.started_at,
    closed_at: row.closed_at,
    session_id: row.session_id,
    project_name: row.project_name,
    hidden: row.hidden === 1,
    deleted: row.deleted_at !== null,
    turns: Number(row.turns ?? 0),
    version: row.version,
    pending: row.version > row.synced_version,
  };
}

/** Commits, newest first. */
export async function listCommits(
  db: Kysely<Database>,
  options: ListCommitsOptions = {},
): Promise<CommitSummary[]> {
  let query = commitQuery(db);
  if (!options.includeHidden)
    query = query.where((eb) => eb.or([eb('c.hidden', 'is', null), eb('c.hidden', '=', 0)]));
  if (!options.includeDeleted) query = query.where('c.deleted_at', 'is', null);
  if (options.sessionId !== undefined) query = query.where('c.session_id', '=', options.sessionId);
  const rows = await query
    .orderBy('c.started_at', 'desc')
    .orderBy('c.id')
    .limit(options.limit ?? 50)
    .execute();
  return rows.map(toSummary);
}

/** One commit by id (hidden and deleted ones included), or undefined. */
export async function getCommit(db: Kysely<Database>, id: string): Promise<CommitSummary | undefined> {
  const row = await commitQuery(db).where('c.id', '=', id).executeTakeFirst();
  return row ? toSummary(row) : undefined;
}
