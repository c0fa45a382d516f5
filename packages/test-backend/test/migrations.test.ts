import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackend, type TestBackend } from '../src/backend.js';
import { findProjectRoot, pushMigrations } from '../src/template.js';

let backend: TestBackend;
let db: pg.Client;

beforeAll(async () => {
  backend = await startTestBackend();
  db = new pg.Client({ connectionString: backend.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await backend?.close();
});

const SYNCED = ['machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals'];

describe('the schema as supabase db push applied it', () => {
  it('records every migration file in supabase_migrations.schema_migrations', async () => {
    const files = (await readdir(join(findProjectRoot(), 'supabase', 'migrations'))).filter((f) =>
      f.endsWith('.sql'),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file).toMatch(/^\d{14}_[a-z0-9_]+\.sql$/);
    const { rows } = await db.query<{ version: string }>(
      'select version from supabase_migrations.schema_migrations order by version',
    );
    expect(rows.map((r) => r.version)).toEqual(files.map((f) => f.slice(0, 14)).sort());
  });

  it('a second supabase db push finds nothing to apply', async () => {
    const { stdout, stderr } = await pushMigrations(backend.databaseUrl);
    expect(`${stdout}${stderr}`).toMatch(/up to date/i);
    const { rows } = await db.query('select count(*)::int as n from supabase_migrations.schema_migrations');
    expect(rows[0].n).toBe((await readdir(join(findProjectRoot(), 'supabase', 'migrations'))).length);
  });

  it('keeps the Supabase bootstrap out of the migrations', async () => {
    const dir = join(findProjectRoot(), 'supabase', 'migrations');
    for (const file of await readdir(dir)) {
      const sql = await readFile(join(dir, file), 'utf8');
      expect(sql).not.toMatch(/create\s+role/i);
      expect(sql).not.toMatch(/create\s+table\s+(if\s+not\s+exists\s+)?auth\./i);
    }
  });

  it('has row-level security on every table in public (from pg_catalog)', async () => {
    const { rows } = await db.query<{ relname: string; relrowsecurity: boolean }>(
      `select c.relname, c.relrowsecurity from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(7);
    expect(rows.filter((r) => !r.relrowsecurity).map((r) => r.relname)).toEqual([]);
    expect(rows.map((r) => r.relname).sort()).toEqual([...SYNCED, 'user_profiles'].sort());
  });

  it('has policies only for authenticated, filtering on (select auth.uid()) = user_id, each column indexed', async () => {
    const { rows } = await db.query<{ tablename: string; roles: string[]; qual: string; cmd: string }>(
      `select tablename, roles::text[] as roles, qual, cmd from pg_policies where schemaname = 'public'`,
    );
    expect(rows.length).toBe(7);
    for (const policy of rows) {
      expect(policy.roles).toEqual(['authenticated']);
      expect(policy.cmd).toBe('SELECT');
      expect(policy.qual.replace(/\s+/g, ' ')).toContain('( SELECT auth.uid() AS uid) = user_id');
      const { rows: indexes } = await db.query(
        `select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
          where i.indrelid = $1::regclass and a.attname = 'user_id'`,
        [`public.${policy.tablename}`],
      );
      expect(indexes.length, `index leading with user_id on ${policy.tablename}`).toBeGreaterThan(0);
    }
  });

  it('grants anon nothing on tables or functions of public and private', async () => {
    const tables = await db.query(
      `select c.relname from pg_class c
        where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind = 'r'
          and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('anon', c.oid, 'insert')
            or has_table_privilege('anon', c.oid, 'update') or has_table_privilege('anon', c.oid, 'delete'))`,
    );
    expect(tables.rows).toEqual([]);
    const functions = await db.query(
      `select p.oid::regprocedure::text as fn from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
          and has_function_privilege('anon', p.oid, 'execute')`,
    );
    expect(functions.rows).toEqual([]);
    expect((await db.query(`select has_schema_privilege('anon', 'private', 'usage') as u`)).rows[0].u).toBe(
      false,
    );
  });

  it('lets authenticated only read the synced tables (writes go through the functions)', async () => {
    for (const table of [...SYNCED, 'user_profiles']) {
      const { rows } = await db.query(
        `select has_table_privilege('authenticated', $1, 'select') as s,
                has_table_privilege('authenticated', $1, 'insert') as i,
                has_table_privilege('authenticated', $1, 'update') as u,
                has_table_privilege('authenticated', $1, 'delete') as d`,
        [`public.${table}`],
      );
      expect(rows[0]).toEqual({ s: true, i: false, u: false, d: false });
    }
  });

  it('keeps SECURITY DEFINER functions in the private schema with an empty search_path', async () => {
    const { rows } = await db.query<{ schema: string; fn: string; config: string[] | null }>(
      `select n.nspname as schema, p.proname as fn, p.proconfig as config from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
       where p.prosecdef and n.nspname in ('public', 'private')`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.schema, row.fn).toBe('private');
      expect(row.config, row.fn).toContain('search_path=""');
    }
    const all = await db.query<{ fn: string; config: string[] | null }>(
      `select p.proname as fn, p.proconfig as config from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)`,
    );
    for (const row of all.rows) expect(row.config ?? [], row.fn).toContain('search_path=""');
  });

  it('lets only the service role purge tombstones', async () => {
    const { rows } = await db.query(
      `select has_function_privilege('service_role', 'public.purge_tombstones(interval)', 'execute') as service,
              has_function_privilege('authenticated', 'public.purge_tombstones(interval)', 'execute') as authed`,
    );
    expect(rows[0]).toEqual({ service: true, authed: false });
  });
});
