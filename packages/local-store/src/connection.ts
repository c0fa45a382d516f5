import type BetterSqlite3 from 'better-sqlite3';
import type { LocalDatabase } from './open.js';

/** An opened local database, or its raw connection (what the import and stats functions accept). */
export type StoreConnection = LocalDatabase | BetterSqlite3.Database;

/** The better-sqlite3 connection of a `StoreConnection`. */
export function sqliteOf(store: StoreConnection): BetterSqlite3.Database {
  return 'sqlite' in store ? store.sqlite : store;
}
