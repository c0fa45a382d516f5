/**
 * Full-text search over every turn's text: an FTS5 index (`turn_search`, schema v21) whose content is the
 * `turns` table itself (external content: the text is stored once), over two columns, `content` and
 * `tool_calls`. docs/decisions/0095-full-text-search-index.md says why it is built this way.
 *
 * Triggers on `turns` keep it true: a row that is inserted (or whose text changes) is queued in
 * `turn_search_pending`, and whoever writes turns indexes the queue with one statement before its transaction
 * commits (`flushSearchIndex`: the import at each group commit, the pull after each page). FTS5 writes a new
 * segment at every statement that touches it, so indexing row by row from a trigger cost four times more than
 * the whole import's text indexed in one statement per transaction. Entries leave the index at once (the
 * trigger hands FTS5 the old text), so a deleted or tombstoned turn is never found.
 *
 * Not indexed: tombstoned turns, and locked text (a field whose `content_state` is `encrypted`: this machine
 * holds the envelope, not the text). `searchStatus` counts the sessions that hold locked text.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type StoreConnection, sqliteOf } from './connection.js';
import { SESSION_JOINS, type SessionFilter, sessionFilterSql } from './session-views.js';

type Sqlite = BetterSqlite3.Database;

/** The turn columns the index covers, in its column order. */
export const SEARCH_COLUMNS = ['content', 'tool_calls'] as const;
export type SearchColumn = (typeof SEARCH_COLUMNS)[number];

/** The value a turn's column has in the index: null when the field is locked (encrypted, no key here). */
function indexedValue(row: 'new' | 'old' | 't', column: SearchColumn): string {
  return `case when json_extract(${row}.content_state, '$.${column}') is 'encrypted' then null else ${row}.${column} end`;
}

const indexedValues = (row: 'new' | 'old' | 't') =>
  SEARCH_COLUMNS.map((c) => indexedValue(row, c)).join(', ');

/** The old text leaves the index, when it was in it (a live row not waiting in the queue). */
const UNINDEX_OLD = `
  insert into turn_search (turn_search, rowid, ${SEARCH_COLUMNS.join(', ')})
    select 'delete', old.rowid, ${indexedValues('old')}
    where old.deleted_at is null
      and not exists (select 1 from turn_search_pending where turn_rowid = old.rowid);`;

/** A turn whose text is locked (encrypted, no key here): the condition of the partial index `idx_turns_locked`. */
const lockedTurn = (row = '') =>
  `(json_extract(${row}content_state, '$.content') = 'encrypted' or json_extract(${row}content_state, '$.tool_calls') = 'encrypted')`;

/** DDL of the index, its queue and the triggers (schema v21). Idempotent. */
export const SEARCH_INDEX_DDL = `
  create virtual table if not exists turn_search using fts5(
    ${SEARCH_COLUMNS.join(', ')},
    content = 'turns', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
  );
  insert into turn_search (turn_search, rank) values ('rank', 'bm25(2.0, 1.0)');
  create table if not exists turn_search_pending (turn_rowid integer primary key);
  create index if not exists idx_turns_locked on turns(session_id) where ${lockedTurn()};
  create trigger if not exists turns_search_insert after insert on turns when new.deleted_at is null
  begin
    insert or ignore into turn_search_pending (turn_rowid) values (new.rowid);
  end;
  create trigger if not exists turns_search_delete after delete on turns
  begin
    ${UNINDEX_OLD}
    delete from turn_search_pending where turn_rowid = old.rowid;
  end;
  create trigger if not exists turns_search_update after update of ${SEARCH_COLUMNS.join(', ')}, deleted_at, content_state
    on turns
  begin
    ${UNINDEX_OLD}
    delete from turn_search_pending where turn_rowid = old.rowid;
    insert or ignore into turn_search_pending (turn_rowid) select new.rowid where new.deleted_at is null;
  end;`;

/** Every live turn into the index (the migration's build of an existing database). */
export const SEARCH_INDEX_BUILD = `
  insert into turn_search (rowid, ${SEARCH_COLUMNS.join(', ')})
    select t.rowid, ${indexedValues('t')} from turns t where t.deleted_at is null;`;

const flushStatements = new WeakMap<
  Sqlite,
  { index: BetterSqlite3.Statement; clear: BetterSqlite3.Statement }
>();

/**
 * Indexes the turns waiting in the queue, in one statement. Call it inside the transaction that wrote them
 * (before its COMMIT). Returns how many turns were indexed. A no-op on a database without the index.
 */
export function flushSearchIndex(db: Sqlite): number {
  let statements = flushStatements.get(db);
  if (!statements) {
    if (!hasSearchIndex(db)) return 0;
    statements = {
      // `cross join`: the queue drives the loop (a lookup of each queued turn by rowid). With a plain join
      // SQLite chose to scan every turn (through the usage index, which holds deleted_at) and probe the
      // queue: a tenth of a second on 70,000 turns for each flush, even of an empty queue.
      index: db.prepare(`
        insert into turn_search (rowid, ${SEARCH_COLUMNS.join(', ')})
          select t.rowid, ${indexedValues('t')}
            from turn_search_pending p cross join turns t on t.rowid = p.turn_rowid
           where t.deleted_at is null`),
      clear: db.prepare('delete from turn_search_pending'),
    };
    flushStatements.set(db, statements);
  }
  const indexed = statements.index.run().changes;
  statements.clear.run();
  return indexed;
}

/**
 * FTS5's memory for pending terms while a first import indexes its queue (FTS5's `hashsize`; its default, 1 MiB,
 * is put back after). Each time that memory fills, FTS5 writes a segment and merges segments as they accumulate:
 * with 8 MiB it writes an eighth as many and merges less. Measured alone on the 5× bench tree (353,271 turns, the
 * same statements): 5.1 s instead of 6.5 s, about 7 MB more resident while it runs.
 */
const BULK_HASH_BYTES = 8 * 1024 * 1024;
const DEFAULT_HASH_BYTES = 1024 * 1024;

/**
 * Indexes the queue in slices of `slice` turns (by rowid), one statement each: what a first import does at its
 * end, so FTS5's pending terms never hold the whole import's text at once. Each slice takes its turns off the
 * queue, and runs through `eachSlice` (which gives it a transaction of its own: the queue then stays true
 * between slices, and a writer or search in between indexes what is left, as after any writer). Meanwhile FTS5
 * keeps more pending terms before it writes a segment (`BULK_HASH_BYTES`). Returns how many turns were indexed.
 */
export function flushSearchIndexInSlices(
  db: Sqlite,
  slice: number,
  eachSlice: (index: () => number) => number,
): number {
  if (!hasSearchIndex(db)) return 0;
  const bounds = db.prepare('select min(turn_rowid), max(turn_rowid) from turn_search_pending').raw();
  const [low, high] = bounds.get() as [number | null, number | null];
  if (low === null || high === null) return 0;
  const index = db.prepare(`
    insert into turn_search (rowid, ${SEARCH_COLUMNS.join(', ')})
      select t.rowid, ${indexedValues('t')}
        from turn_search_pending p join turns t on t.rowid = p.turn_rowid
       where p.turn_rowid >= ? and p.turn_rowid < ? and t.deleted_at is null`);
  const taken = db.prepare('delete from turn_search_pending where turn_rowid >= ? and turn_rowid < ?');
  // FTS5 takes an integer only: a bound JavaScript number arrives as a real.
  const hashSize = (bytes: number) =>
    db.exec(`insert into turn_search (turn_search, rank) values ('hashsize', ${Math.trunc(bytes)})`);
  let indexed = 0;
  hashSize(BULK_HASH_BYTES);
  try {
    for (let from = low; from <= high; from += slice) {
      const to = from + slice;
      indexed += eachSlice(() => {
        const changes = index.run(from, to).changes;
        taken.run(from, to);
        return changes;
      });
    }
  } finally {
    hashSize(DEFAULT_HASH_BYTES);
  }
  return indexed;
}

/** Turns written but not yet indexed (0 normally: every writer indexes what it wrote before committing). */
export function pendingSearchTurns(db: Sqlite): number {
  if (!hasSearchIndex(db)) return 0;
  return db.prepare('select count(*) from turn_search_pending').pluck().get() as number;
}

export function hasSearchIndex(db: Sqlite): boolean {
  return (
    db.prepare("select 1 from sqlite_master where type = 'table' and name = 'turn_search_pending'").get() !==
    undefined
  );
}

/** What the index holds, for `sync status` and `search --json`. */
export interface SearchStatus {
  /** Bytes of the index's own tables (the text itself is not stored twice). */
  indexBytes: number;
  /** Live turns in the database (those the index covers, plus locked ones). */
  turns: number;
  /** Turns written but not yet indexed (indexed by the next write or search). */
  pendingTurns: number;
  /** Sessions that hold locked text (encrypted, no key on this machine): not searchable. */
  lockedSessions: number;
}

export function searchStatus(db: Sqlite): SearchStatus {
  if (!hasSearchIndex(db)) return { indexBytes: 0, turns: 0, pendingTurns: 0, lockedSessions: 0 };
  const bytes = db
    .prepare(
      `select coalesce(sum(pgsize), 0) as n from dbstat
        where name in ('turn_search_data', 'turn_search_idx', 'turn_search_docsize', 'turn_search_config')
           or name like 'sqlite_autoindex_turn_search%'`,
    )
    .pluck()
    .get() as number;
  const turns = db.prepare('select count(*) from turns where deleted_at is null').pluck().get() as number;
  const pending = db.prepare('select count(*) from turn_search_pending').pluck().get() as number;
  return { indexBytes: bytes, turns, pendingTurns: pending, lockedSessions: lockedSessionCount(db) };
}

/** Sessions with at least one live turn whose text is locked. */
export function lockedSessionCount(db: Sqlite, sessionFilter?: { sql: string; params: unknown[] }): number {
  const sql = `select count(distinct t.session_id) from turns t indexed by idx_turns_locked
    ${sessionFilter ? 'join sessions s on s.id = t.session_id' : ''}
    where ${lockedTurn('t.')} and t.deleted_at is null ${sessionFilter ? `and ${sessionFilter.sql}` : ''}`;
  return db
    .prepare(sql)
    .pluck()
    .get(...(sessionFilter?.params ?? [])) as number;
}

/** A search: FTS5 query text made from what the user typed (`toMatchQuery`), filters and a page. */
export interface SearchOptions extends SessionFilter {
  /** Results per page (default 20). */
  limit?: number;
  offset?: number;
}

/** One matching turn. `snippet` is plain text; `matches` are [start, end) character ranges of the hits in it. */
export interface SearchHit {
  turn_id: string;
  session_id: string;
  session_native_id: string | null;
  agent: string | null;
  project_path: string | null;
  machine_name: string | null;
  timestamp: string;
  role: string;
  /** Which text matched best: the turn's text or its tool calls. */
  field: SearchColumn;
  snippet: string;
  matches: [number, number][];
  /** bm25 score (lower is better). */
  rank: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Matching turns, all pages together. */
  total: number;
  /** Distinct sessions among all matching turns. */
  sessions: number;
  /** Sessions (within the filters) that hold locked text, which the search could not look into. */
  locked_sessions: number;
}

const OPEN = '\u0002';
const CLOSE = '\u0003';

/**
 * Turns what a person types into an FTS5 query: words must all occur (any order), `"a phrase"` in that order,
 * `word*` is a prefix, `OR` between two terms matches either. Every word is quoted, so punctuation (`c++`,
 * `foo-bar`, `don't`) is text, never query syntax. Returns null when nothing searchable is left.
 */
export function toMatchQuery(input: string): string | null {
  const terms: string[] = [];
  const pattern = /"([^"]*)"?|(\S+)/g;
  for (let match = pattern.exec(input); match !== null; match = pattern.exec(input)) {
    if (match[1] !== undefined) {
      const phrase = match[1].trim();
      if (phrase) terms.push(`"${phrase.replace(/"/g, '""')}"`);
      continue;
    }
    const word = match[2]!;
    if (word === 'OR' && terms.length > 0 && terms[terms.length - 1] !== 'OR') {
      terms.push('OR');
      continue;
    }
    const prefix = word.length > 1 && word.endsWith('*');
    const text = (prefix ? word.slice(0, -1) : word).replace(/"/g, '""');
    // A word of punctuation alone has no token to look for.
    if (!/[\p{L}\p{N}]/u.test(text)) continue;
    terms.push(prefix ? `"${text}"*` : `"${text}"`);
  }
  while (terms[terms.length - 1] === 'OR') terms.pop();
  return terms.length > 0 ? terms.join(' ') : null;
}

/**
 * The turns matching `query` (a query made by `toMatchQuery`), best first by bm25 (the turn's text weighs twice
 * its tool calls), with a snippet of the best field. Live turns of live sessions only.
 */
export function searchTurns(
  store: StoreConnection,
  matchQuery: string,
  options: SearchOptions = {},
): SearchResult {
  const db = sqliteOf(store);
  const filter = sessionFilterSql({ ...options, since: undefined, until: undefined });
  const where = [filter.sql];
  const params = [...filter.params];
  if (options.since) {
    where.push('t.timestamp >= ?');
    params.push(options.since);
  }
  if (options.until) {
    where.push('t.timestamp < ?');
    params.push(options.until);
  }
  const filtered = where.length > 1 || filter.params.length > 0;
  const limit = Math.max(1, options.limit ?? 20);
  const offset = Math.max(0, options.offset ?? 0);
  // Without filters, FTS5 ranks on its own (its `order by rank limit` path reads no turn rows) and only the page
  // is joined; with filters, every match is joined to its session first.
  const ranked = filtered
    ? `select turn_search.rowid as rid, turn_search.rank as rank from turn_search
         join turns t on t.rowid = turn_search.rowid
         join sessions s on s.id = t.session_id ${SESSION_JOINS}
        where turn_search match ? and ${where.join(' and ')} order by turn_search.rank limit ? offset ?`
    : 'select rowid as rid, rank from turn_search where turn_search match ? order by rank limit ? offset ?';
  const rows = db
    .prepare(
      `select t.id as turn_id, t.session_id, s.native_id, s.source as agent, coalesce(p.path, s.cwd) as project_path,
          m.name as machine_name, t.timestamp, t.role, r.rank,
          snippet(turn_search, 0, '${OPEN}', '${CLOSE}', '…', 24) as s0,
          snippet(turn_search, 1, '${OPEN}', '${CLOSE}', '…', 24) as s1
        from (${ranked}) r
        join turn_search on turn_search.rowid = r.rid and turn_search match ?
        join turns t on t.rowid = r.rid
        join sessions s on s.id = t.session_id ${SESSION_JOINS}
        where s.deleted_at is null order by r.rank`,
    )
    .all(matchQuery, ...(filtered ? params : []), limit, offset, matchQuery) as Record<string, unknown>[];
  // Counting reads no turn rows unless a time filter needs them: the matches are looked up in the
  // (session_id, rowid) index, and only matching entries join their session.
  const timeFiltered = where.length > 1;
  const counts = db
    .prepare(
      timeFiltered
        ? `select count(*) as total, count(distinct t.session_id) as sessions from turn_search
             join turns t on t.rowid = turn_search.rowid
             join sessions s on s.id = t.session_id ${SESSION_JOINS}
            where turn_search match ? and ${where.join(' and ')}`
        : `select count(*) as total, count(distinct t.session_id) as sessions
             from turns t indexed by idx_turns_session
             join sessions s on s.id = t.session_id ${SESSION_JOINS}
            where t.rowid in (select rowid from turn_search where turn_search match ?) and ${filter.sql}`,
    )
    .get(matchQuery, ...params) as { total: number; sessions: number };
  const hits = rows.map((row): SearchHit => {
    const inContent = typeof row.s0 === 'string' && row.s0.includes(OPEN);
    const field: SearchColumn = inContent ? 'content' : 'tool_calls';
    const marked = inContent ? (row.s0 as string) : readableToolCalls(String(row.s1 ?? ''));
    const { text, matches } = unmark(marked);
    return {
      turn_id: row.turn_id as string,
      session_id: row.session_id as string,
      session_native_id: (row.native_id as string | null) ?? null,
      agent: (row.agent as string | null) ?? null,
      project_path: (row.project_path as string | null) ?? null,
      machine_name: (row.machine_name as string | null) ?? null,
      timestamp: row.timestamp as string,
      role: row.role as string,
      field,
      snippet: text,
      matches,
      rank: row.rank as number,
    };
  });
  return {
    hits,
    total: counts.total,
    sessions: counts.sessions,
    locked_sessions: lockedSessionCount(db, {
      sql: `s.id in (select s.id from sessions s ${SESSION_JOINS} where ${filter.sql})`,
      params: filter.params,
    }),
  };
}

/** A snippet of the JSON of tool calls, as a person reads it: `Bash command: cargo test`. */
function readableToolCalls(snippet: string): string {
  return snippet
    .replace(/"id":"[^"]*",?/g, '')
    .replace(/"name":"([^"]*)","input":/g, '$1 ')
    .replace(/\\n/g, ' ')
    .replace(/\\"/g, '"')
    .replace(/"([A-Za-z_]+)":/g, '$1: ')
    .replace(/[{}[\]]+/g, ' ')
    .replace(/"/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function unmark(marked: string): { text: string; matches: [number, number][] } {
  let text = '';
  const matches: [number, number][] = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === OPEN) start = text.length;
    else if (ch === CLOSE) {
      if (start >= 0) matches.push([start, text.length]);
      start = -1;
    } else text += ch;
  }
  return { text: text.replace(/\s+/g, ' '), matches: fixRanges(text, matches) };
}

/** Ranges shift when runs of whitespace collapse; recompute them on the collapsed text. */
function fixRanges(raw: string, ranges: [number, number][]): [number, number][] {
  const map: number[] = [];
  let out = 0;
  for (let i = 0; i < raw.length; i++) {
    map.push(out);
    if (!(/\s/.test(raw[i]!) && i > 0 && /\s/.test(raw[i - 1]!))) out++;
  }
  map.push(out);
  return ranges.map(([a, b]) => [map[a]!, map[b]!]);
}
