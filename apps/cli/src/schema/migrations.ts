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
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, ExitCode } from '../errors.js';

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

/** One line for a failure to reach or use the database (never with its password), with the fix. */
function databaseCliError(error: unknown): unknown {
  const e = error as { name?: string; kind?: string; message?: string };
  if (e?.name === 'MigrationFailedError') {
    return new CliError(e.message ?? String(error), {
      exitCode: ExitCode.failure,
      hint: 'the migrations before it stay applied; fix the cause and run the command again',
    });
  }
  if (e?.name !== 'DatabaseError') return error;
  if (e.kind === 'auth') {
    return new CliError(e.message ?? '', {
      exitCode: ExitCode.auth,
      hint: 'copy the URL again from Dashboard → Connect, with the database password (Project Settings → Database to reset it)',
    });
  }
  if (e.kind === 'unreachable') {
    return new CliError(e.message ?? '', {
      exitCode: ExitCode.unavailable,
      hint: 'check the host and port; on a network without IPv6 use the session pooler URL from Dashboard → Connect',
    });
  }
  return new CliError(e.message ?? '', { exitCode: ExitCode.unavailable });
}

/** The versions recorded in `supabase_migrations.schema_migrations` (none when the table does not exist). */
export async function appliedVersions(url: string): Promise<string[]> {
  checkDatabaseUrl(url);
  const { appliedMigrationVersions } = await import('@agentlogs/supabase-remote');
  return appliedMigrationVersions(url).catch((error: unknown) => {
    throw databaseCliError(error);
  });
}

/** Applies `pending` with the built-in runner (supabase-remote's `applyMigrations`). */
export async function applyWithRunner(
  url: string,
  pending: readonly Migration[],
  onApply: (migration: Migration) => void = () => {},
): Promise<void> {
  checkDatabaseUrl(url);
  const { applyMigrations } = await import('@agentlogs/supabase-remote');
  await applyMigrations(url, pending, onApply).catch((error: unknown) => {
    throw databaseCliError(error);
  });
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
    child.stdout.setEncoding('utf8'); // whole characters, never a UTF-8 sequence split across chunks
    child.stdout.on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8'); // whole characters, never a UTF-8 sequence split across chunks
    child.stderr.on('data', (d: string) => {
      output += d;
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
