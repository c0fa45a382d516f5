/**
 * Sessions as `agentlogs sessions list|show`, `agentlogs search` and the dashboard read them: the session with
 * its machine, project, first prompt and totals, and its turns a page at a time (a session of thousands of turns
 * is never read whole). Prepared statements: the dashboard's first page and the long-session pages are timed by
 * `pnpm bench` (reading section).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type StoreConnection, sqliteOf } from './connection.js';
import type { ToolUse } from './records.js';

type Sqlite = BetterSqlite3.Database;

/** Which sessions to read; every filter is optional and they combine with AND. */
export interface SessionFilter {
  /** A project path, its last segment, or part of the path. */
  project?: string;
  /** A machine name or id. */
  machine?: string;
  /** `claude_code` or `codex` (also `claude`). */
  agent?: string;
  /** First instant (ISO-8601, inclusive) of the session's start. */
  since?: string;
  /** Instant (ISO-8601, exclusive) the session must start before. */
  until?: string;
}

export interface SessionView {
  id: string;
  /** The agent's own session id. */
  native_id: string | null;
  agent: string | null;
  started_at: string;
  ended_at: string;
  machine_id: string | null;
  machine_name: string | null;
  project_path: string | null;
  /** The session's title, else its first prompt (up to 200 characters). */
  title: string | null;
  turns: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  /** All four token counts added up. */
  tokens: number;
  /** Turns whose text is locked (encrypted, no key on this machine). */
  locked_turns: number;
}

export interface TurnView {
  id: string;
  role: string;
  timestamp: string;
  /** Null when the turn has no text or its text is locked (`locked`). */
  content: string | null;
  tool_calls: ToolUse[];
  model: string | null;
  is_sidechain: boolean;
  agent_id: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_creation_1h_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
  /** The transcript's own cost, when it gave one (otherwise the price table's, computed by the caller). */
  cost_usd: number | null;
  speed: string | null;
  /** True when the text is encrypted and this machine has no key. */
  locked: boolean;
  /** The images of the turn (screenshots pasted or returned by a tool), kept as visuals. */
  visuals: TurnVisual[];
}

/** An image of a turn: its visual's id (what `agentlogs visuals get` and the dashboard fetch), type and size. */
export interface TurnVisual {
  id: string;
  media_type: string;
  byte_size: number;
  sha256: string;
}

/** The WHERE conditions (on `s` sessions, `p` projects, `m` machines) for a filter, with their parameters. */
export function sessionFilterSql(filter: SessionFilter): { sql: string; params: unknown[] } {
  const where = ['s.deleted_at is null'];
  const params: unknown[] = [];
  if (filter.project) {
    where.push(`(p.path = ? or p.name = ? or s.cwd = ? or instr(coalesce(p.path, s.cwd, ''), ?) > 0)`);
    params.push(filter.project, filter.project, filter.project, filter.project);
  }
  if (filter.machine) {
    where.push('(m.name = ? or s.machine_id = ? or m.hostname = ?)');
    params.push(filter.machine, filter.machine, filter.machine);
  }
  if (filter.agent) {
    where.push('s.source = ?');
    params.push(filter.agent === 'claude' ? 'claude_code' : filter.agent);
  }
  if (filter.since) {
    where.push('s.started_at >= ?');
    params.push(filter.since);
  }
  if (filter.until) {
    where.push('s.started_at < ?');
    params.push(filter.until);
  }
  return { sql: where.join(' and '), params };
}

/** The joins the filter's aliases need. */
export const SESSION_JOINS = `left join projects p on p.id = s.project_id left join machines m on m.id = s.machine_id`;

const SESSION_COLUMNS = `
  s.id, s.native_id, s.source as agent, s.started_at, s.ended_at, s.machine_id, m.name as machine_name,
  coalesce(p.path, s.cwd) as project_path,
  coalesce(s.title, (select substr(f.content, 1, 200) from turns f
     where f.session_id = s.id and f.role = 'user' and f.is_sidechain = 0 and f.deleted_at is null
       and f.content is not null and f.content <> ''
       and json_extract(f.content_state, '$.content') is not 'encrypted'
     order by f.timestamp, f.id limit 1)) as title,
  u.turns, u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens, u.locked_turns`;

/** Totals of the sessions listed in the CTE `page` (one row per session that has live turns). */
const PAGE_TOTALS = `
  totals as (
    select t.session_id, count(*) as turns, sum(t.input_tokens) as input_tokens,
      sum(t.output_tokens) as output_tokens, sum(t.cache_creation_tokens) as cache_creation_tokens,
      sum(t.cache_read_tokens) as cache_read_tokens,
      sum(t.content_state is not null and (json_extract(t.content_state, '$.content') = 'encrypted'
        or json_extract(t.content_state, '$.tool_calls') = 'encrypted')) as locked_turns
    from turns t where t.session_id in (select id from page) and t.deleted_at is null
    group by t.session_id)`;

/** The sessions of the CTE `page` with their columns and totals. */
const PAGE_SELECT = `select ${SESSION_COLUMNS} from page join sessions s on s.id = page.id ${SESSION_JOINS}
  left join totals u on u.session_id = s.id`;

function toSessionView(row: Record<string, unknown>): SessionView {
  const n = (v: unknown) => Number(v ?? 0);
  const view = {
    id: row.id as string,
    native_id: (row.native_id as string | null) ?? null,
    agent: (row.agent as string | null) ?? null,
    started_at: row.started_at as string,
    ended_at: row.ended_at as string,
    machine_id: (row.machine_id as string | null) ?? null,
    machine_name: (row.machine_name as string | null) ?? null,
    project_path: (row.project_path as string | null) ?? null,
    title: (row.title as string | null) ?? null,
    turns: n(row.turns),
    input_tokens: n(row.input_tokens),
    output_tokens: n(row.output_tokens),
    cache_creation_tokens: n(row.cache_creation_tokens),
    cache_read_tokens: n(row.cache_read_tokens),
    tokens: 0,
    locked_turns: n(row.locked_turns),
  };
  view.tokens = view.input_tokens + view.output_tokens + view.cache_creation_tokens + view.cache_read_tokens;
  return view;
}

export interface SessionPage {
  sessions: SessionView[];
  /** Sessions that match the filter, all pages together. */
  total: number;
}

/** Live sessions matching the filter, newest first; `limit` 0 lists them all. */
export function listSessionViews(
  store: StoreConnection,
  filter: SessionFilter & { limit?: number; offset?: number } = {},
): SessionPage {
  const db = sqliteOf(store);
  const where = sessionFilterSql(filter);
  const limit = filter.limit ?? 50;
  const offset = filter.offset ?? 0;
  const rows = db
    .prepare(
      `with page as (
         select s.id from sessions s ${SESSION_JOINS} where ${where.sql}
         order by s.started_at desc, s.id ${limit > 0 ? 'limit ? offset ?' : ''}
       ), ${PAGE_TOTALS}
       ${PAGE_SELECT} order by s.started_at desc, s.id`,
    )
    .all(...where.params, ...(limit > 0 ? [limit, offset] : [])) as Record<string, unknown>[];
  const total = db
    .prepare(`select count(*) from sessions s ${SESSION_JOINS} where ${where.sql}`)
    .pluck()
    .get(...where.params) as number;
  return { sessions: rows.map(toSessionView), total };
}

/** One live session by its id, or undefined. */
export function getSessionView(store: StoreConnection, id: string): SessionView | undefined {
  const row = sqliteOf(store)
    .prepare(
      `with page as (select id from sessions where id = ? and deleted_at is null), ${PAGE_TOTALS}
       ${PAGE_SELECT}`,
    )
    .get(id) as Record<string, unknown> | undefined;
  return row ? toSessionView(row) : undefined;
}

/**
 * The ids of live sessions that `given` names: the row id or the agent's session id, exactly or by a prefix
 * of 6 or more characters. At most `limit` (default 2, enough to tell a unique prefix from an ambiguous one).
 */
export function findSessionIds(store: StoreConnection, given: string, limit = 2): string[] {
  const db = sqliteOf(store);
  const exact = db
    .prepare('select id from sessions where (id = ? or native_id = ?) and deleted_at is null limit ?')
    .pluck()
    .all(given, given, limit) as string[];
  if (exact.length > 0 || given.length < 6) return exact;
  const pattern = `${given.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .prepare(
      `select id from sessions where (id like ? escape '\\' or native_id like ? escape '\\')
         and deleted_at is null order by started_at desc limit ?`,
    )
    .pluck()
    .all(pattern, pattern, limit) as string[];
}

export interface TurnPage {
  turns: TurnView[];
  /** Live turns of the session. */
  total: number;
  offset: number;
}

const statements = new WeakMap<
  Sqlite,
  { page: BetterSqlite3.Statement; count: BetterSqlite3.Statement; visuals: BetterSqlite3.Statement }
>();

/**
 * A page of a session's live turns in the order they happened (main thread and subagents interleaved by
 * time). `limit` defaults to 200; the statement walks the session's turns by `idx_turns_session`.
 */
export function listSessionTurns(
  store: StoreConnection,
  sessionId: string,
  page: { offset?: number; limit?: number } = {},
): TurnPage {
  const db = sqliteOf(store);
  let s = statements.get(db);
  if (!s) {
    s = {
      page: db.prepare(`
        select id, role, timestamp, content, tool_calls, model, is_sidechain, agent_id, input_tokens, output_tokens,
          cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, speed,
          json_extract(content_state, '$.content') is 'encrypted' as content_locked,
          json_extract(content_state, '$.tool_calls') is 'encrypted' as tools_locked
        from turns where session_id = ? and deleted_at is null
        order by timestamp, id limit ? offset ?`),
      count: db.prepare('select count(*) from turns where session_id = ? and deleted_at is null').pluck(),
      // The page's visuals in one statement (the turn ids as a JSON array), by idx_visuals_turn.
      visuals: db.prepare(`
        select v.id, v.turn_id, v.media_type, v.byte_size, v.sha256 from visuals v
        where v.turn_id in (select value from json_each(?)) and v.deleted_at is null
          and v.sha256 is not null and v.media_type is not null
        order by v.captured_at, v.id`),
    };
    statements.set(db, s);
  }
  const offset = Math.max(0, page.offset ?? 0);
  const limit = Math.max(1, page.limit ?? 200);
  const rows = s.page.all(sessionId, limit, offset) as Record<string, unknown>[];
  const total = s.count.get(sessionId) as number;
  const turns = rows.map(toTurnView);
  if (turns.length > 0) {
    const byTurn = new Map(turns.map((t) => [t.id, t]));
    const visuals = s.visuals.all(JSON.stringify(turns.map((t) => t.id))) as {
      id: string;
      turn_id: string;
      media_type: string;
      byte_size: number | null;
      sha256: string;
    }[];
    for (const v of visuals) {
      byTurn.get(v.turn_id)?.visuals.push({
        id: v.id,
        media_type: v.media_type,
        byte_size: v.byte_size ?? 0,
        sha256: v.sha256,
      });
    }
  }
  return { turns, total, offset };
}

function toTurnView(row: Record<string, unknown>): TurnView {
  const toolsLocked = row.tools_locked === 1;
  let toolCalls: ToolUse[] = [];
  if (!toolsLocked && typeof row.tool_calls === 'string') {
    try {
      const parsed = JSON.parse(row.tool_calls) as unknown;
      if (Array.isArray(parsed)) toolCalls = parsed as ToolUse[];
    } catch {
      toolCalls = [];
    }
  }
  const contentLocked = row.content_locked === 1;
  return {
    id: row.id as string,
    role: row.role as string,
    timestamp: row.timestamp as string,
    content: contentLocked ? null : ((row.content as string | null) ?? null),
    tool_calls: toolCalls,
    model: (row.model as string | null) ?? null,
    is_sidechain: row.is_sidechain === 1,
    agent_id: (row.agent_id as string | null) ?? null,
    input_tokens: Number(row.input_tokens ?? 0),
    output_tokens: Number(row.output_tokens ?? 0),
    cache_creation_tokens: Number(row.cache_creation_tokens ?? 0),
    cache_creation_1h_tokens: Number(row.cache_creation_1h_tokens ?? 0),
    cache_read_tokens: Number(row.cache_read_tokens ?? 0),
    reasoning_tokens: Number(row.reasoning_tokens ?? 0),
    cost_usd: (row.cost_usd as number | null) ?? null,
    speed: (row.speed as string | null) ?? null,
    locked: contentLocked || toolsLocked,
    visuals: [],
  };
}

/** The live sessions the filter keeps (ids), for views that start from the usage rollup. */
export function sessionIdsMatching(store: StoreConnection, filter: SessionFilter): Set<string> {
  const where = sessionFilterSql(filter);
  return new Set(
    sqliteOf(store)
      .prepare(`select s.id from sessions s ${SESSION_JOINS} where ${where.sql}`)
      .pluck()
      .all(...where.params) as string[],
  );
}
