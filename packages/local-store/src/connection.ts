import type BetterSqlite3 from 'better-sqlite3';
import type { LocalDatabase } from './open.js';

/** An opened local database, or its raw connection (what the import and stats functions accept). */
export type StoreConnection = LocalDatabase | BetterSqlite3.Database;

/** The better-sqlite3 connection of a `StoreConnection`. */
export function sqliteOf(store: StoreConnection): BetterSqlite3.Database {
  return 'sqlite' in store ? store.sqlite : store;
}

/**
 * Runs `work` with the connection's busy timeout set to `ms` (how long a statement waits for another connection's
 * lock), and gives the previous timeout back, also when `work` throws.
 */
export function withBusyTimeout<T>(db: BetterSqlite3.Database, ms: number, work: () => T): T {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${ms}`);
  try {
    return work();
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
