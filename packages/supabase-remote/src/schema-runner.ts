/**
 * Applying the Supabase migrations straight to the project's Postgres (`agentlogs schema apply` without the
 * Supabase CLI), recorded in `supabase_migrations.schema_migrations` exactly as `supabase db push` records them:
 * the table created as it creates it, `RESET ALL` before each file, the file split into the same statements
 * (`splitStatements`), each run on its own, and the row (version, name, statements) inserted in the file's one
 * transaction. node-postgres is loaded only here, on first use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { splitStatements } from './split-statements.js';

/** One migration file: `<version>_<name>.sql`. */
export interface MigrationFile {
  version: string;
  name: string;
  file: string;
}

/** Why the database could not be used: `auth` (password or user refused), `unreachable`, or `failed`. */
export class DatabaseError extends Error {
  constructor(
    readonly kind: 'auth' | 'unreachable' | 'failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

/** A migration that failed: nothing of it was applied; the ones before it were. */
export class MigrationFailedError extends Error {
  constructor(
    readonly migration: MigrationFile,
    /** 1-based number of the statement that failed. */
    readonly statement: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationFailedError';
  }
}

/** The database URL with its password masked, for messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '*****';
    return u.toString();
  } catch {
    return '(a database URL that cannot be parsed)';
  }
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
  const parsed = new URL(url);
  const mode = parsed.searchParams.get('sslmode');
  parsed.searchParams.delete('sslmode');
  const local = LOCAL_HOSTS.has(parsed.hostname) || parsed.hostname.startsWith('/');
  let ssl: false | { rejectUnauthorized: boolean };
  if (mode === 'disable' || (mode === null && local)) ssl = false;
  else if (mode === 'verify-ca' || mode === 'verify-full') ssl = { rejectUnauthorized: true };
  else ssl = { rejectUnauthorized: false };
  return { connectionString: parsed.toString(), ssl };
}

function databaseError(error: unknown, url: string): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const e = error as { code?: string; message?: string };
  const where = redactDatabaseUrl(url);
  if (e?.code === '28P01' || e?.code === '28000') {
    return new DatabaseError('auth', `the database refused the password or user of ${where}`, {
      cause: error,
    });
  }
  if (['ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(e?.code ?? '')) {
    return new DatabaseError('unreachable', `cannot reach the database at ${where} (${e.code})`, {
      cause: error,
    });
  }
  const message = (e?.message ?? String(error)).split(url).join(where);
  return new DatabaseError('failed', `the database at ${where} failed: ${message}`, { cause: error });
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

/** The versions recorded in `supabase_migrations.schema_migrations`, oldest first (none without the table). */
export async function appliedMigrationVersions(url: string): Promise<string[]> {
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
 * `supabase_migrations.schema_migrations`. A failing migration (MigrationFailedError) leaves nothing of itself
 * behind and stops the run; the ones before it stay applied.
 */
export async function applyMigrations(
  url: string,
  pending: readonly MigrationFile[],
  onApply: (migration: MigrationFile) => void = () => {},
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
        throw new MigrationFailedError(
          migration,
          index + 1,
          `migration ${path.basename(migration.file)} failed at statement ${index + 1}: ${e.message ?? String(error)}; nothing of it was applied`,
          { cause: error },
        );
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
}
