import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type PostgresCluster, runCommand, withDatabase } from './postgres.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The test-only bootstrap of Supabase's roles and `auth` schema. */
export const BOOTSTRAP_SQL_PATH = resolve(here, '../sql/supabase-bootstrap.sql');

/** The folder holding `supabase/` (config.toml, migrations): found by walking up from this package. */
export function findProjectRoot(start: string = here): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'supabase', 'config.toml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no supabase/config.toml found above ${start}`);
    dir = parent;
  }
}

/** Path of the Supabase CLI binary installed with the `supabase` npm package. */
export function supabaseCliPath(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('supabase/package.json');
  const pkg = require(pkgPath) as { bin: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin.supabase ?? '');
  return join(dirname(pkgPath), bin);
}

export const CLI_ENV = { SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' } as const;

/** Runs the real Supabase CLI in the project root. */
export async function runSupabaseCli(
  args: string[],
  options: { projectRoot?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string }> {
  const projectRoot = options.projectRoot ?? findProjectRoot();
  return runCommand(process.execPath, [supabaseCliPath(), ...args, '--workdir', projectRoot], {
    cwd: projectRoot,
    env: { ...process.env, ...CLI_ENV, ...options.env },
  });
}

/** `supabase db push --remote=<url> --yes`: applies pending migrations as a user does. */
export async function pushMigrations(
  databaseUrl: string,
  options: { projectRoot?: string; includeSeed?: boolean } = {},
): Promise<{ stdout: string; stderr: string }> {
  const url = new URL(databaseUrl);
  url.searchParams.set('sslmode', 'disable');
  const args = ['db', 'push', `--remote=${url.toString()}`, '--yes'];
  if (options.includeSeed) args.push('--include-seed');
  return runSupabaseCli(args, { projectRoot: options.projectRoot });
}

export async function applySqlFile(databaseUrl: string, path: string): Promise<void> {
  const sql = await readFile(path, 'utf8');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function adminQuery(cluster: PostgresCluster, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates `name` (dropping an old one), applies the Supabase bootstrap, then pushes the migrations with
 * the Supabase CLI. Clone it per test file with `cloneDatabase`.
 */
export async function createMigratedTemplate(
  cluster: PostgresCluster,
  options: { name?: string; projectRoot?: string } = {},
): Promise<{ name: string; url: string; pushOutput: string }> {
  const name = options.name ?? 'agentlogs_template';
  await adminQuery(cluster, `drop database if exists ${quoteIdent(name)} with (force)`);
  await adminQuery(cluster, `create database ${quoteIdent(name)}`);
  const url = withDatabase(cluster.url, name);
  await applySqlFile(url, BOOTSTRAP_SQL_PATH);
  const { stdout, stderr } = await pushMigrations(url, { projectRoot: options.projectRoot });
  return { name, url, pushOutput: stdout + stderr };
}

let cloneCounter = 0;

/** `CREATE DATABASE … TEMPLATE …`: a migrated copy in tens of milliseconds. */
export async function cloneDatabase(
  cluster: PostgresCluster,
  template: string,
  name = `agentlogs_t${process.pid}_${Date.now().toString(36)}_${cloneCounter++}`,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  await adminQuery(cluster, `create database ${quoteIdent(name)} template ${quoteIdent(template)}`);
  return {
    name,
    url: withDatabase(cluster.url, name),
    drop: () => adminQuery(cluster, `drop database if exists ${quoteIdent(name)} with (force)`),
  };
}
