/**
 * The schema travels with the CLI: `agentlogs schema apply` puts the shipped migrations on an empty Supabase
 * database, with the real Supabase CLI when it is on PATH or with the built-in runner, and both record the
 * same history, so the Supabase CLI run afterwards finds nothing to do.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { splitStatements } from '@agentlogs/supabase-remote';
import {
  applySqlFile,
  BOOTSTRAP_SQL_PATH,
  engineFromEnv,
  type PostgresCluster,
  runSupabaseCli,
  startPostgres,
  supabaseCliPath,
} from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyWithRunner,
  applyWithSupabaseCli,
  type Migration,
  shippedMigrations,
} from '../src/schema/migrations.js';
import { bin } from './e2e-harness.js';

let cluster: PostgresCluster;
const temps: string[] = [];
let counter = 0;

beforeAll(async () => {
  cluster = await startPostgres(engineFromEnv());
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `agentlogs-${prefix}-`));
  temps.push(dir);
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A new database with only what every Supabase project has before its first migration. */
async function emptyProjectDatabase(): Promise<string> {
  const name = `schema_${process.pid}_${counter++}`;
  await query(cluster.url, `create database ${name}`);
  const url = `${cluster.databaseUrl(name)}${cluster.databaseUrl(name).includes('?') ? '&' : '?'}sslmode=disable`;
  await applySqlFile(url, BOOTSTRAP_SQL_PATH);
  return url;
}

const history = (url: string) =>
  query<{ version: string; name: string; statements: string[] }>(
    url,
    'select version, name, statements from supabase_migrations.schema_migrations order by version',
  );

function cli(args: string[], env: Record<string, string> = {}) {
  const home = tempDir('home');
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: home, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A folder holding only a `supabase` executable: the real Supabase CLI, as a user has it on PATH. */
function pathWithSupabase(): string {
  const dir = tempDir('path');
  symlinkSync(supabaseCliPath(), path.join(dir, 'supabase'));
  return `${dir}${path.delimiter}${process.env.PATH}`;
}

/** Tricky SQL for the splitter: every way a `;` may hide inside a statement. */
const TRICKY = `-- a comment; with a semicolon
create table public.tricky (id int primary key, note text default 'it''s; fine', "odd;name" text);
/* a block; comment /* nested; */ still; inside */
create function public.tricky_fn() returns int language plpgsql as $body$
begin
  perform 1; -- inside the body
  return 2;
end;
$body$;
create function public.tricky_atomic() returns int language sql
begin atomic
  select 1;
  select 2;
end;
insert into public.tricky (id, note) values (1, $$a;b$$), (2, $tag$c;'d$tag$);
create view public.tricky_view as select (select count(*) from public.tricky where note <> ';') as n
`;

describe('schema apply', () => {
  it('records the same history as supabase db push, which then finds nothing to do', async () => {
    const byCli = await emptyProjectDatabase();
    const byUs = await emptyProjectDatabase();
    const viaCli = cli(['schema', 'apply', '--db-url', byCli, '--json'], { PATH: pathWithSupabase() });
    expect(viaCli.code, viaCli.stderr).toBe(0);
    expect(JSON.parse(viaCli.stdout).runner).toBe('supabase');
    const viaUs = cli(['schema', 'apply', '--db-url', byUs, '--runner', 'builtin']);
    expect(viaUs.code, viaUs.stderr).toBe(0);
    const shipped = shippedMigrations();
    expect(viaUs.stdout).toContain(`Applied ${shipped.length} migrations (built-in runner)`);

    const expected = await history(byCli);
    expect(expected.map((r) => r.version)).toEqual(shipped.map((m) => m.version));
    expect(await history(byUs)).toEqual(expected);

    const push = await runSupabaseCli(['db', 'push', `--remote=${byUs}`, '--dry-run']);
    expect(push.stdout + push.stderr).toMatch(/Remote database is up to date/);

    // Nothing to do the second time, and the status says so, from the database and per version.
    const again = cli(['schema', 'apply', '--db-url', byUs, '--runner', 'builtin', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: [], status: { upToDate: true } });
    const status = cli(['schema', 'status', '--json'], { AGENTLOGS_DB_URL: byUs });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      source: 'database',
      missing: [],
      required: shipped.at(-1)?.version,
      upToDate: true,
    });
  }, 240_000);

  it('applies only what is missing after an upgrade, and status names what is missing before', async () => {
    const url = await emptyProjectDatabase();
    const shipped = shippedMigrations();
    await applyWithRunner(url, shipped.slice(0, 3));
    const before = cli(['schema', 'status', '--db-url', url, '--json']);
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout).missing).toEqual(shipped.slice(3).map((m) => m.version));
    const after = cli(['schema', 'apply', '--db-url', url, '--runner', 'builtin', '--json']);
    expect(JSON.parse(after.stdout).applied).toEqual(shipped.slice(3).map((m) => m.version));
    const push = await runSupabaseCli(['db', 'push', `--remote=${url}`, '--dry-run']);
    expect(push.stdout + push.stderr).toMatch(/Remote database is up to date/);
  }, 120_000);

  it('splits statements exactly as the Supabase CLI records them', async () => {
    const dir = tempDir('tricky');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, '20990101000000_tricky.sql');
    writeFileSync(file, TRICKY);
    const tricky: Migration[] = [{ version: '20990101000000', name: 'tricky', file }];
    const byCli = await emptyProjectDatabase();
    const byUs = await emptyProjectDatabase();
    await applyWithSupabaseCli(supabaseCliPath(), byCli, process.env, tricky);
    await applyWithRunner(byUs, tricky);
    const [recorded] = await history(byCli);
    expect(recorded?.statements).toHaveLength(5);
    expect(splitStatements(TRICKY)).toEqual(recorded?.statements);
    expect(await history(byUs)).toEqual(await history(byCli));
    expect(await query(byUs, 'select public.tricky_fn() as f, public.tricky_atomic() as a')).toEqual([
      { f: 2, a: 2 },
    ]);
  }, 120_000);

  it('leaves nothing of a failing migration behind and keeps the ones before it', async () => {
    const url = await emptyProjectDatabase();
    const dir = tempDir('failing');
    const good = path.join(dir, '20990101000000_good.sql');
    const bad = path.join(dir, '20990102000000_bad.sql');
    writeFileSync(good, 'create table public.good_one (id int);');
    writeFileSync(bad, 'create table public.half_done (id int);\nselect no_such_function();');
    await expect(
      applyWithRunner(url, [
        { version: '20990101000000', name: 'good', file: good },
        { version: '20990102000000', name: 'bad', file: bad },
      ]),
    ).rejects.toThrow(
      /20990102000000_bad\.sql failed at statement 2: .*no_such_function.*nothing of it was applied/,
    );
    expect((await history(url)).map((r) => r.version)).toEqual(['20990101000000']);
    expect(
      await query(
        url,
        "select to_regclass('public.half_done') as t, to_regclass('public.good_one')::text as g",
      ),
    ).toEqual([{ t: null, g: 'good_one' }]);
  }, 60_000);

  it('never prints the database password', () => {
    const result = cli([
      'schema',
      'apply',
      '--db-url',
      'postgresql://postgres:s3cret-pw@127.0.0.1:1/postgres',
    ]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(
      'cannot reach the database at postgresql://postgres:*****@127.0.0.1:1/postgres',
    );
    expect(result.stderr + result.stdout).not.toContain('s3cret-pw');
    const missing = cli(['schema', 'apply']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--db-url');
  });
});
