/**
 * Reading a coding agent's own SQLite database (OpenCode's `opencode.db`), read-only, for the import: the one
 * place outside agentlogs' own database that opens a SQLite file, so the native driver stays in this package.
 *
 * The agent's file is never written: it is opened with `readonly` and `fileMustExist`, and a busy agent makes
 * the read wait up to the busy timeout, then fail with a plain error (never a SQLite error code, which the import
 * takes as agentlogs' own database being locked).
 */
import BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_BUSY_TIMEOUT_MS } from './database-file.js';

/** An agent's database could not be read (missing, not a database, locked for too long, damaged). */
export class AgentDatabaseError extends Error {
  override readonly name = 'AgentDatabaseError';
}

function readFailure(what: string, error: unknown): AgentDatabaseError {
  const code = (error as { code?: unknown })?.code;
  const reason =
    typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      ? 'it stayed locked by its agent; import again when the agent is idle'
      : typeof code === 'string' && (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT'))
        ? 'it is not a SQLite database or is damaged'
        : typeof code === 'string'
          ? code
          : error instanceof Error
            ? error.message
            : String(error);
  return new AgentDatabaseError(`could not read ${what}: ${reason}`, { cause: error });
}

/** An agent's SQLite database, open read-only. */
export class AgentDatabase {
  private readonly db: BetterSqlite3.Database;

  private constructor(db: BetterSqlite3.Database) {
    this.db = db;
  }

  /** Opens `path` read-only (it must exist); throws `AgentDatabaseError`. */
  static open(path: string): AgentDatabase {
    try {
      const db = new BetterSqlite3(path, {
        readonly: true,
        fileMustExist: true,
        timeout: DEFAULT_BUSY_TIMEOUT_MS,
      });
      // Opening is lazy: read the schema now, so a file that is not a database fails here.
      db.prepare('select count(*) from sqlite_master').get();
      return new AgentDatabase(db);
    } catch (error) {
      throw readFailure("the agent's database", error);
    }
  }

  /** The column names of `table`, empty when there is no such table. */
  columns(table: string): Set<string> {
    try {
      const rows = this.db.prepare('select name from pragma_table_info(?)').all(table) as { name: string }[];
      return new Set(rows.map((r) => r.name));
    } catch (error) {
      throw readFailure(`the agent's table ${table}`, error);
    }
  }

  /**
   * The rows of a query, one at a time (the query is the caller's constant SQL; values go in `params`). Several
   * iterations may run at once (a merge of two sorted queries).
   */
  *rows<T>(sql: string, ...params: unknown[]): Generator<T> {
    let iterator: IterableIterator<unknown>;
    try {
      iterator = this.db.prepare(sql).iterate(...params);
    } catch (error) {
      throw readFailure("the agent's database", error);
    }
    while (true) {
      let next: IteratorResult<unknown>;
      try {
        next = iterator.next();
      } catch (error) {
        throw readFailure("the agent's database", error);
      }
      if (next.done) return;
      yield next.value as T;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
