import { describe, expect, it } from 'vitest';
import {
  contentColumns,
  ENVELOPE_COLUMNS,
  LOCAL_ONLY_COLUMNS,
  POSTGRES_TYPE,
  SCHEMA,
  SERVER_ONLY_COLUMNS,
  SQLITE_TYPE,
  SYNCED_TABLES,
  type TableSpec,
  tableSpec,
} from '../src/index.js';

describe('the schema spec', () => {
  it('lists the synced tables in push order, parents first', () => {
    expect(SYNCED_TABLES).toEqual([
      'machines',
      'projects',
      'sessions',
      'cognitive_commits',
      'turns',
      'visuals',
    ]);
    expect(tableSpec('turns').columns.length).toBe(23);
    expect(contentColumns('turns')).toEqual({ text: ['content', 'tool_calls'], path: ['cwd'] });
    expect(contentColumns('machines')).toEqual({ text: [], path: [] });
  });

  it('names each payload column once, machine_id first, never an envelope or side-only column', () => {
    const reserved = new Set<string>([...ENVELOPE_COLUMNS, ...SERVER_ONLY_COLUMNS, ...LOCAL_ONLY_COLUMNS]);
    for (const table of SCHEMA) {
      const names = table.columns.map((column) => column.name);
      expect(new Set(names).size, table.name).toBe(names.length);
      expect(names[0], table.name).toBe('machine_id');
      expect(
        names.filter((name) => reserved.has(name)),
        table.name,
      ).toEqual([]);
    }
  });

  it('fills NOT NULL columns with a value of the column type', () => {
    for (const table of SCHEMA as readonly TableSpec[]) {
      for (const column of table.columns) {
        const fill = column.localNotNull;
        if (fill === undefined) continue;
        const numeric = ['integer', 'bigint', 'real'].includes(column.type);
        expect(typeof fill, `${table.name}.${column.name}`).toBe(numeric ? 'number' : 'string');
      }
    }
  });

  it('maps every column type to a SQLite and a Postgres type', () => {
    for (const table of SCHEMA) {
      for (const column of table.columns) {
        expect(SQLITE_TYPE[column.type]).toMatch(/^(text|integer|real)$/);
        expect(POSTGRES_TYPE[column.type]).toBeTruthy();
      }
    }
  });
});
