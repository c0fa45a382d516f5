import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import {
  DEBIAN_15_EXTENSIONS,
  debian15Available,
  runCommand,
  startPostgres,
  withDatabase,
} from './postgres.js';
import {
  applySqlFile,
  BOOTSTRAP_SQL_PATH,
  findProjectRoot,
  pushMigrations,
  runSupabaseCli,
} from './template.js';

export interface Pg15CheckResult {
  /** Output of `supabase db lint --fail-on error` (exit 0). */
  lint: string;
  /** Output of `pg_prove` over supabase/tests/database (exit 0). */
  pgTap: string;
  testFiles: string[];
}

/** What the PostgreSQL 15 checks need, each with the Debian package that provides it. */
const PG15_REQUIREMENTS: { what: string; pkg: string; present: () => boolean }[] = [
  { what: 'PostgreSQL 15', pkg: 'postgresql-15', present: debian15Available },
  {
    what: 'the pgTAP extension',
    pkg: 'postgresql-15-pgtap',
    present: () => existsSync(join(DEBIAN_15_EXTENSIONS, 'pgtap.control')),
  },
  {
    what: 'the plpgsql_check extension (supabase db lint)',
    pkg: 'postgresql-15-plpgsql-check',
    present: () => existsSync(join(DEBIAN_15_EXTENSIONS, 'plpgsql_check.control')),
  },
  {
    what: 'pg_prove',
    pkg: 'libtap-parser-sourcehandler-pgtap-perl',
    present: () => onPath('pg_prove'),
  },
];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/**
 * Why the PostgreSQL 15 checks cannot run here (what is missing and the `apt-get install` line that adds it),
 * or null when they can.
 */
export function pg15ChecksUnavailable(): string | null {
  const missing = PG15_REQUIREMENTS.filter((r) => !r.present());
  if (missing.length === 0) return null;
  return `missing ${missing.map((r) => r.what).join(', ')}; install with: apt-get install ${missing
    .map((r) => r.pkg)
    .join(' ')}`;
}

/**
 * On a throwaway Debian PostgreSQL 15 cluster (run as the `postgres` user): the Supabase bootstrap, the
 * migrations with `supabase db push`, then `supabase db lint --fail-on error` (plpgsql_check) and the pgTAP
 * tests in supabase/tests/database with `pg_prove`. Throws with the tool's output when either fails.
 */
export async function runPg15Checks(projectRoot: string = findProjectRoot()): Promise<Pg15CheckResult> {
  const cluster = await startPostgres('debian-15');
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('create database agentlogs_checks');
    await admin.end();
    const url = withDatabase(cluster.url, 'agentlogs_checks');
    await applySqlFile(url, BOOTSTRAP_SQL_PATH);
    await pushMigrations(url, { projectRoot });

    const remote = new URL(url);
    remote.searchParams.set('sslmode', 'disable');
    const lint = await runSupabaseCli(['db', 'lint', `--remote=${remote.toString()}`, '--fail-on', 'error'], {
      projectRoot,
    });

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query('create extension if not exists pgtap schema extensions');
    await db.end();
    const testsDir = join(projectRoot, 'supabase', 'tests', 'database');
    const testFiles = (await readdir(testsDir)).filter((f) => f.endsWith('.test.sql')).sort();
    const parsed = new URL(url);
    const prove = await runCommand(
      'pg_prove',
      ['--ext', '.sql', ...testFiles.map((f) => join(testsDir, f))],
      {
        env: {
          ...process.env,
          PGHOST: parsed.hostname,
          PGPORT: parsed.port,
          PGUSER: decodeURIComponent(parsed.username),
          PGPASSWORD: decodeURIComponent(parsed.password),
          PGDATABASE: 'agentlogs_checks',
          PGOPTIONS: '-c search_path=public,extensions',
        },
      },
    );
    return { lint: lint.stdout + lint.stderr, pgTap: prove.stdout + prove.stderr, testFiles };
  } finally {
    await cluster.stop();
  }
}
