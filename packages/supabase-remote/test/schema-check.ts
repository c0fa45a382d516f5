/**
 * The server schema cross-check: reads what `supabase/migrations` made of a real Postgres (the catalog and
 * the definitions of the sync functions) and lists every way it disagrees with the schema spec
 * (`@agentlogs/schema`). One problem per line, `<table>.<column>: <what>` or `<table>: <what>`; empty when
 * they agree.
 */
import {
  ENVELOPE_COLUMNS,
  POSTGRES_TYPE,
  SCHEMA,
  SERVER_ONLY_COLUMNS,
  SYNCED_TABLES,
} from '@agentlogs/schema';
import type pg from 'pg';

export interface SchemaProblem {
  table: string;
  /** Absent for a problem of the whole table. */
  column?: string;
  problem: string;
}

export function formatProblem(p: SchemaProblem): string {
  return `${p.column ? `${p.table}.${p.column}` : p.table}: ${p.problem}`;
}

export async function crossCheckServerSchema(db: pg.ClientBase): Promise<SchemaProblem[]> {
  const problems: SchemaProblem[] = [];
  const listed = (
    await db.query<{ name: string }>('select name from private.synced_tables order by push_order')
  ).rows.map((row) => row.name);
  if (listed.join() !== SYNCED_TABLES.join()) {
    for (const table of SYNCED_TABLES) {
      if (!listed.includes(table)) problems.push({ table, problem: 'not listed in private.synced_tables' });
    }
    for (const table of listed) {
      if (!(SYNCED_TABLES as readonly string[]).includes(table)) {
        problems.push({ table, problem: 'listed in private.synced_tables but not in the spec' });
      }
    }
    if (problems.length === 0) {
      problems.push({
        table: listed.join(', '),
        problem: `push order differs from ${SYNCED_TABLES.join(', ')}`,
      });
    }
  }

  const { rows: columnRows } = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'public' and table_name = any($1::text[])`,
    [SYNCED_TABLES],
  );
  const pull = parsePullDefinition(
    (
      await db.query<{ def: string }>(
        `select pg_get_functiondef('public.sync_pull(bigint, integer)'::regprocedure) as def`,
      )
    ).rows[0]!.def,
  );
  const envelope = new Set<string>([...ENVELOPE_COLUMNS, ...SERVER_ONLY_COLUMNS]);

  for (const spec of SCHEMA) {
    const table = spec.name;
    const server = new Map(
      columnRows.filter((row) => row.table_name === table).map((row) => [row.column_name, row.data_type]),
    );
    if (server.size === 0) {
      problems.push({ table, problem: 'missing on the server' });
      continue;
    }
    for (const column of envelope) {
      if (!server.has(column))
        problems.push({ table, column, problem: 'envelope column missing on the server' });
    }
    const pushed = new Set(
      (
        await db.query<{ column_name: string }>('select column_name from private.payload_columns($1)', [
          table,
        ])
      ).rows.map((row) => row.column_name),
    );
    const pulled = pull.get(table);
    if (!pulled) problems.push({ table, problem: 'not read by sync_pull' });
    for (const column of spec.columns) {
      const type = server.get(column.name);
      if (type === undefined) {
        problems.push({ table, column: column.name, problem: 'missing on the server' });
      } else if (type !== POSTGRES_TYPE[column.type]) {
        problems.push({
          table,
          column: column.name,
          problem: `is ${type} on the server, the spec says ${POSTGRES_TYPE[column.type]}`,
        });
      }
      if (!pushed.has(column.name)) {
        problems.push({
          table,
          column: column.name,
          problem: 'not carried by sync_push (private.payload_columns)',
        });
      }
      if (pulled && !pulled.some((item) => item.key === column.name)) {
        problems.push({ table, column: column.name, problem: 'not carried by sync_pull' });
      }
    }
    const specified = new Set<string>(spec.columns.map((column) => column.name));
    for (const column of server.keys()) {
      if (!envelope.has(column) && !specified.has(column)) {
        problems.push({ table, column, problem: 'on the server but not in the spec' });
      }
    }
    for (const item of pulled ?? []) {
      if (!server.has(item.source)) {
        problems.push({ table, column: item.source, problem: 'read by sync_pull but missing on the server' });
      }
    }
  }
  return problems;
}

/**
 * The payload of each table as the generated `sync_pull` builds it: for each table, the payload key and the
 * column it is read from, taken from the function's definition (`private.define_sync_pull` writes one
 * `row_to_json` sub-select per table).
 */
export function parsePullDefinition(definition: string): Map<string, { key: string; source: string }[]> {
  const tables = new Map<string, { key: string; source: string }[]>();
  const pattern =
    /'([a-z_]+)'::text as "table",[\s\S]*?\(select row_to_json\(pay\) from \(select ([\s\S]*?)\) as pay\)/g;
  for (const match of definition.matchAll(pattern)) {
    const items = splitTopLevel(match[2]!).map((item) => {
      const source = /\bt\.("?)([a-z_0-9]+)\1/.exec(item)?.[2] ?? item;
      const alias = /\bas\s+("?)([a-z_0-9]+)\1\s*$/.exec(item)?.[2];
      return { key: alias ?? source, source };
    });
    tables.set(match[1]!, items);
  }
  return tables;
}

/** Splits a select list at the commas outside parentheses and quotes. */
function splitTopLevel(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = list.slice(start).trim();
  if (last) items.push(last);
  return items;
}
