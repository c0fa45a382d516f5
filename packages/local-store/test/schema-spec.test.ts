import {
  ENVELOPE_COLUMNS,
  LOCAL_ONLY_COLUMNS,
  type PayloadColumn,
  SCHEMA,
  SQLITE_TYPE,
  type SyncedTable,
} from '@agentlogs/schema';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type Database,
  type LocalDatabase,
  NOT_NULL_FILL,
  openLocalDatabase,
  PAYLOAD_COLUMNS,
} from '../src/index.js';
import { copyFixture, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let database: LocalDatabase;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  await database?.close();
  cleanup();
});

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
}

/** Differences between the spec and the synced tables of an open database, one line each (empty: none). */
function disagreements(db: LocalDatabase): string[] {
  const problems: string[] = [];
  for (const table of SCHEMA) {
    const columns = new Map(
      (db.sqlite.prepare(`pragma table_info(${table.name})`).all() as ColumnInfo[]).map((c) => [c.name, c]),
    );
    if (columns.size === 0) {
      problems.push(`table ${table.name} is missing`);
      continue;
    }
    for (const name of [...ENVELOPE_COLUMNS, ...LOCAL_ONLY_COLUMNS]) {
      if (!columns.has(name)) problems.push(`${table.name}.${name} (envelope) is missing`);
    }
    for (const column of table.columns) {
      const local = columns.get(column.name);
      if (!local) {
        problems.push(`${table.name}.${column.name} is missing`);
        continue;
      }
      if (local.type.toLowerCase() !== SQLITE_TYPE[column.type]) {
        problems.push(
          `${table.name}.${column.name} is ${local.type}, the spec says ${SQLITE_TYPE[column.type]}`,
        );
      }
      const specNotNull = 'localNotNull' in column;
      if ((local.notnull === 1) !== specNotNull) {
        problems.push(`${table.name}.${column.name} is ${local.notnull ? '' : 'not '}NOT NULL locally`);
      }
    }
  }
  return problems;
}

describe('the local schema and the schema spec (@agentlogs/schema)', () => {
  it('a new database has every synced column with the spec type and nullability', () => {
    database = openLocalDatabase({ dir });
    expect(disagreements(database)).toEqual([]);
  });

  it('a database upgraded from an earlier release (v5) ends with the same synced columns', () => {
    database = openLocalDatabase({ path: copyFixture('agentlogs-v5.db', dir) });
    expect(disagreements(database)).toEqual([]);
  });

  it('reports a synced column the local schema lacks', () => {
    database = openLocalDatabase({ dir });
    database.sqlite.exec('alter table visuals drop column caption');
    expect(disagreements(database)).toEqual(['visuals.caption is missing']);
  });

  it('derives the store column lists from the spec', () => {
    for (const table of SCHEMA) {
      expect(PAYLOAD_COLUMNS[table.name]).toEqual(table.columns.map((column) => column.name));
    }
    expect(NOT_NULL_FILL.turns).toMatchObject({ role: '', timestamp: '', input_tokens: 0, is_sidechain: 0 });
    expect(NOT_NULL_FILL.machines).toEqual({});
  });

  it('types every spec column in the Kysely row types', () => {
    type Untyped = { [T in SyncedTable]: Exclude<PayloadColumn<T>, keyof Database[T]> }[SyncedTable];
    expectTypeOf<Untyped>().toEqualTypeOf<never>();
  });
});
