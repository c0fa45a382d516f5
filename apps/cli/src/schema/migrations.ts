/**
 * The Supabase migrations this release of agentlogs ships (`dist/supabase/migrations/` in the package,
 * `supabase/migrations/` of the repository when run from the sources) and how they reach a project's database:
 * through the Supabase CLI when it is on PATH, otherwise through a runner of our own that applies and records
 * each migration as `supabase db push` does (see applyWithRunner).
 */
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, ExitCode } from '../errors.js';
import { splitStatements } from './split.js';

export interface Migration {
  /** The timestamp before the first `_` of the file name, e.g. `20261122021700`. */
  version: string;
  /** The rest of the name without `.sql`, e.g. `sync_tables`. */
  name: string;
  file: string;
}

/** The folder of the shipped migrations (next to the schema's README, which the bundle copies into dist/). */
export function migrationsDir(): string {
  return path.join(
    path.dirname(fileURLToPath(new URL('../../../../supabase/README.md', import.meta.url))),
    'migrations',
  );
}

const MIGRATION_FILE = /^([0-9]+)_(.*)\.sql$/;

/** The shipped migrations, oldest first. */
export function shippedMigrations(dir: string = migrationsDir()): Migration[] {
  return readdirSync(dir)
    .map((file) => ({ file, match: MIGRATION_FILE.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => ({ version: match[1]!, name: match[2]!, file: path.join(dir, file) }))
    .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

/** Where a database's schema stands against the shipped migrations. */
export interface SchemaState {
  /** Versions recorded in the database, oldest first. */
  applied: string[];
  /** Shipped migrations the database lacks, oldest first. */
  missing: Migration[];
  /** Recorded versions this release does not ship (a newer agentlogs applied them, or other migrations). */
  unknown: string[];
  /** The newest shipped version. */
  required: string;
}

export function compareSchema(
  applied: readonly string[],
  shipped: readonly Migration[] = shippedMigrations(),
): SchemaState {
  const have = new Set(applied);
  const ours = new Set(shipped.map((m) => m.version));
  return {
    applied: [...applied].sort(),
    missing: shipped.filter((m) => !have.has(m.version)),
    unknown: [...applied].filter((v) => !ours.has(v)).sort(),
    required: shipped.at(-1)?.version ?? '',
  };
}

/** The environment variables that may hold the database URL, in order. */
export const DB_URL_ENV = ['AGENTLOGS_DB_URL', 'SUPABASE_DB_URL'] as const;

export function databaseUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag;
  for (const name of DB_URL_ENV) if (env[name]) return env[name];
  return undefined;
}

/** The database URL with its password masked, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '*****';
    return u.toString();
  } catch {
    return '(a database URL that cannot be parsed)';
  }
}

function checkDatabaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError('the database URL cannot be parsed', {
      exitCode: ExitCode.usage,
      hint: 'use postgresql://postgres:<password>@db.<ref>.supabase.co:5432/postgres (Dashboard → Connect → Direct connection)',
    });
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new CliError(`the database URL must start with postgresql://, not ${parsed.protocol}//`, {
      exitCode: ExitCode.usage,
      hint: 'copy it from Dashboard → Connect → Direct connection (the "URI" form)',
    });
  }
  return parsed;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * node-postgres options for a URL. `sslmode` keeps libpq's meaning (node-postgres alone reads `require` as
 * `verify-full`, which Supabase's own certificate authority fails): `disable` plain, `require` (the default
 * for a host other than this machine) encrypted, `verify-ca`/`verify-full` encrypted and verified.
 */
function clientConfig(url: string): {
  connectionString: string;
  ssl: false | { rejectUnauthorized: boolean };
} {
  const parsed = checkDatabaseUrl(url);
  const mode = parsed.searchParams.get('sslmode');
  parsed.searchParams.delete('sslmode');
  const local = LOCAL_HOSTS.has(parsed.hostname) || parsed.hostname.startsWith('/');
  let ssl: false | { rejectUnauthorized: boolean };
  if (mode === 'disable' || (mode === null && local)) ssl = false;
  else if (mode === 'verify-ca' || mode === 'verify-full') ssl = { rejectUnauthorized: true };
  else ssl = { rejectUnauthorized: false };
  return { connectionString: parsed.toString(), ssl };
}

type PgClient = import('pg').Client;

async function connect(url: string): Promise<PgClient> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...clientConfig(url), connectionTimeoutMillis: 15_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw databaseError(error, url);
  }
  return client;
}

/** One line for a failure to reach or use the database, never with its password. */
export function databaseError(error: unknown, url: string): CliError {
  const e = error as { code?: string; message?: string };
  const where = redactUrl(url);
  if (e?.code === '28P01' || e?.code === '28000') {
    return new CliError(`the database refused the password or user of ${where}`, {
      exitCode: ExitCode.auth,
      hint: 'copy the URL again from Dashboard → Connect, with the database password (Project Settings → Database to reset it)',
    });
  }
  if (
    e?.code === 'ENOTFOUND' ||
    e?.code === 'ECONNREFUSED' ||
    e?.code === 'ETIMEDOUT' ||
    e?.code === 'EHOSTUNREACH'
  ) {
    return new CliError(`cannot reach the database at ${where} (${e.code})`, {
      exitCode: ExitCode.unavailable,
      hint: 'check the host and port; on a network without IPv6 use the session pooler URL from Dashboard → Connect',
    });
  }
  const message = (e?.message ?? String(error)).split(url).join(where);
  return new CliError(`the database at ${where} failed: ${message}`, { exitCode: ExitCode.unavailable });
}

/** The versions recorded in `supabase_migrations.schema_migrations` (none when the table does not exist). */
export async function appliedVersions(url: string): Promise<string[]> {
  const client = await connect(url);
  try {
    const exists = await client.query<{ t: string | null }>(
      "select to_regclass('supabase_migrations.schema_migrations')::text as t",
    );
    if (!exists.rows[0]?.t) return [];
    const rows = await client.query<{ version: string }>(
      'select version from supabase_migrations.schema_migrations order by version',
    );
    return rows.rows.map((r) => r.version);
  } catch (error) {
    throw databaseError(error, url);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Applies `pending` in order, each in one transaction together with its row in
 * `supabase_migrations.schema_migrations` (version, name, statements), as the Supabase CLI does: the table is
 * created the same way, the session is reset (`RESET ALL`) before each file, the file is split into the same
 * statements (splitStatements) and each is run on its own. A failing migration leaves nothing of itself behind
 * and stops the run; the ones before it stay applied.
 */
export async function applyWithRunner(
  url: string,
  pending: readonly Migration[],
  onApply: (migration: Migration) => void = () => {},
): Promise<void> {
  if (pending.length === 0) return;
  const client = await connect(url);
  try {
    try {
      await client.query('begin');
      await client.query("set local lock_timeout = '4s'");
      await client.query('create schema if not exists supabase_migrations');
      await client.query(
        'create table if not exists supabase_migrations.schema_migrations (version text not null primary key)',
      );
      await client.query(
        'alter table supabase_migrations.schema_migrations add column if not exists statements text[]',
      );
      await client.query(
        'alter table supabase_migrations.schema_migrations add column if not exists name text',
      );
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw databaseError(error, url);
    }
    for (const migration of pending) {
      onApply(migration);
      const statements = splitStatements(readFileSync(migration.file, 'utf8'));
      let index = 0;
      try {
        await client.query('reset all');
        await client.query('begin');
        for (; index < statements.length; index++) await client.query(statements[index]!);
        await client.query(
          'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
          [migration.version, migration.name, statements],
        );
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => {});
        const e = error as { message?: string };
        throw new CliError(
          `migration ${path.basename(migration.file)} failed at statement ${index + 1}: ${e.message ?? String(error)}; nothing of it was applied`,
          {
            exitCode: ExitCode.failure,
            hint: 'the migrations before it stay applied; fix the cause and run the command again',
          },
        );
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** The `supabase` executable on PATH, if any. */
export function supabaseOnPath(env: NodeJS.ProcessEnv): string | undefined {
  const names = process.platform === 'win32' ? ['supabase.exe', 'supabase.cmd'] : ['supabase'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * `supabase db push` of the shipped migrations to `url`, from a scratch folder holding a copy of them (the
 * Supabase CLI reads `supabase/migrations` of its working directory). Supabase CLI 3 takes `--remote=<url>`,
 * 2 `--db-url <url>`.
 */
export async function applyWithSupabaseCli(
  cli: string,
  url: string,
  env: NodeJS.ProcessEnv,
  shipped: readonly Migration[] = shippedMigrations(),
): Promise<string> {
  checkDatabaseUrl(url);
  const cliEnv = { ...env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  const work = mkdtempSync(path.join(tmpdir(), 'agentlogs-schema-'));
  try {
    const versionRun = await run(cli, ['--version'], { cwd: work, env: cliEnv });
    const major = Number(/(\d+)\.\d+\.\d+/.exec(versionRun.output)?.[1] ?? '3');
    mkdirSync(path.join(work, 'supabase', 'migrations'), { recursive: true });
    writeFileSync(path.join(work, 'supabase', 'config.toml'), 'project_id = "agentlogs"\n');
    for (const m of shipped)
      copyFileSync(m.file, path.join(work, 'supabase', 'migrations', path.basename(m.file)));
    const target = major >= 3 ? [`--remote=${url}`] : ['--db-url', url];
    const result = await run(cli, ['db', 'push', ...target, '--yes', '--workdir', work], {
      cwd: work,
      env: cliEnv,
    });
    const output = result.output.split(url).join(redactUrl(url));
    if (result.code !== 0) {
      const last = output.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
      throw new CliError(`supabase db push failed (exit ${result.code}): ${last}`, {
        exitCode: ExitCode.failure,
        hint: "run it again with '--runner builtin' to apply the schema without the Supabase CLI",
      });
    }
    return output;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
