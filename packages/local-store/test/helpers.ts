import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';

const here = dirname(fileURLToPath(import.meta.url));

/** Databases written in the earlier agentlogs schema (tests open copies only). */
export const LEGACY_FIXTURES = resolve(here, 'fixtures/legacy');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'agentlogs-local-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies a legacy fixture into `dir` (writable) and returns the copy's path. */
export function copyFixture(name: string, dir: string): string {
  const target = join(dir, name);
  copyFileSync(join(LEGACY_FIXTURES, name), target);
  chmodSync(target, 0o644);
  return target;
}

export type Row = Record<string, unknown>;

/** Every row of every data table of a database file (not the search index), opened read-only, keyed by table name, ordered by rowid. */
export function readAllRows(path: string): Record<string, Row[]> {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(
        // The search index (`turn_search` and its shadow tables, schema v21) is derived from the turns.
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'turn_search%' order by name",
      )
      .all() as { name: string }[];
    const out: Record<string, Row[]> = {};
    for (const { name } of tables)
      out[name] = db.prepare(`select * from ${name} order by rowid`).all() as Row[];
    return out;
  } finally {
    db.close();
  }
}

export function pick(row: Row, columns: readonly string[]): Row {
  return Object.fromEntries(columns.map((column) => [column, row[column]]));
}
