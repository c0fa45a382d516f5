/**
 * `agentlogs setup --yes` on a project whose database has nothing of agentlogs yet: it applies the schema,
 * saves the project, logs in (the test plays the browser against the Auth stand-in) and ends with a first
 * sync done. Then: every sync checks the schema version, and `sync disable` goes back to local-only.
 */
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import {
  AuthStandIn,
  applySqlFile,
  BOOTSTRAP_SQL_PATH,
  engineFromEnv,
  findAuthorizeUrl,
  type PostgresCluster,
  playBrowserLogin,
  type StandIn,
  startPostgres,
  startStandIn,
} from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedMigrations } from '../src/schema/migrations.js';
import { claudeTree, fixtures, Machine, type Run, removeTemps } from './e2e-harness.js';

let cluster: PostgresCluster;
let standIn: StandIn;
let auth: AuthStandIn;
let databaseUrl: string;
let transcripts: string;

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  cluster = await startPostgres(engineFromEnv());
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('create database setup_project');
  await admin.end();
  databaseUrl = `${cluster.databaseUrl('setup_project')}?sslmode=disable`;
  // What a new Supabase project has before any migration: roles, auth schema. No agentlogs schema.
  await applySqlFile(databaseUrl, BOOTSTRAP_SQL_PATH);
  auth = new AuthStandIn();
  standIn = await startStandIn({ databaseUrl, routes: [] });
  auth.mountOn(standIn);
  transcripts = path.dirname(
    claudeTree({
      alpha: [path.join(fixtures, 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl')],
      spotter: [path.join(fixtures, 'marot-spotter/short.jsonl')],
    }),
  );
}, 180_000);

afterAll(async () => {
  await standIn?.close();
  await cluster?.stop();
  removeTemps();
});

/** A machine that has nothing configured: setup gets the project from its options. */
function newMachine(name: string): Machine {
  return new Machine(name, standIn.url, standIn.anonKey, {
    AGENTLOGS_SUPABASE_URL: '',
    AGENTLOGS_SUPABASE_ANON_KEY: '',
    CLAUDE_CONFIG_DIR: transcripts,
    CODEX_HOME: path.join(transcripts, 'no-codex'),
  });
}

/** Runs `setup` and plays the browser when it prints the login URL. */
async function setup(machine: Machine, args: string[]): Promise<Run> {
  const cli = machine.spawn(['setup', ...args]);
  cli.child.stdin.end();
  for (let i = 0; i < 1200 && cli.child.exitCode === null; i++) {
    const url = findAuthorizeUrl(cli.stderr());
    if (url) {
      await playBrowserLogin(url);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return cli.done;
}

const base = () => [
  '--yes',
  '--url',
  standIn.url,
  '--anon-key',
  standIn.anonKey,
  '--no-browser',
  '--timeout',
  '60',
];

describe('setup --yes', () => {
  it('stops before saving anything when the schema is missing and no database URL is given', async () => {
    const m = newMachine('nodb');
    const run = await setup(m, base());
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('does not have the agentlogs schema');
    expect(run.stderr).toContain('--db-url');
    const config = await m.run(['config', 'get', 'supabase.url']);
    expect(config.stdout.trim()).not.toContain(standIn.url);
  }, 60_000);

  it('stops with the fix when the key is refused or the project cannot be reached; nothing saved', async () => {
    const m = newMachine('badkey');
    const refused = await setup(m, [
      '--yes',
      '--url',
      standIn.url,
      '--anon-key',
      'sb_publishable_notTheKeyOfThisProject0123',
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`${standIn.url} refused the anon key`);
    expect(refused.stderr).toContain('Dashboard → Project Settings → API Keys');
    expect(refused.stderr).not.toContain('sb_publishable_notTheKeyOfThisProject0123');

    // A port nothing listens on: the project is down, paused or mistyped.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const down = await setup(m, [
      '--yes',
      '--url',
      `http://127.0.0.1:${closed}`,
      '--anon-key',
      standIn.anonKey,
    ]);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain(`http://127.0.0.1:${closed} cannot be reached`);
    expect(down.stderr).toContain('that the project is not paused');
    for (const key of ['supabase.url', 'supabase.anon_key']) {
      const config = await m.run(['config', 'get', key]);
      expect(config.stdout).not.toContain(standIn.url);
      expect(config.stdout).not.toContain(standIn.anonKey);
    }
  }, 120_000);

  it('stops with the fix when GitHub sign-in is disabled, before changing the project', async () => {
    auth.settings.githubEnabled = false;
    try {
      const m = newMachine('nogithub');
      const run = await setup(m, [...base(), '--db-url', databaseUrl, '--runner', 'builtin']);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('GitHub sign-in is not enabled');
      expect(run.stderr).toContain('Authentication → Sign In / Providers → GitHub');
      expect(run.stderr).toContain(`${standIn.url}/auth/v1/callback`);
    } finally {
      auth.settings.githubEnabled = true;
    }
  }, 120_000);

  it('on an empty project applies the schema and ends logged in with a first sync done', async () => {
    expect(await query("select to_regclass('supabase_migrations.schema_migrations') as t")).toEqual([
      { t: null },
    ]);
    const m = newMachine('laptop');
    const run = await setup(m, [
      ...base(),
      '--db-url',
      databaseUrl,
      '--runner',
      'builtin',
      '--content',
      'redacted',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const shipped = shippedMigrations();
    expect(run.stdout).toContain(`Applied ${shipped.length} migrations with the built-in runner.`);
    expect(run.stdout).toContain('GitHub sign-in is enabled.');
    expect(run.stdout).toMatch(
      /First upload: 2 sessions, [\d,]+ rows, [\d.]+ [KM]iB as sent at content level redacted \(under 0\.1% of the free plan's 500 MB database/,
    );
    expect(run.stdout).toContain('Set up.');

    const applied = await query<{ version: string }>(
      'select version from supabase_migrations.schema_migrations order by 1',
    );
    expect(applied.map((r) => r.version)).toEqual(shipped.map((s) => s.version));

    const who = await m.ok(['whoami']);
    expect(who.stdout).toContain('octocat');
    const status = await m.json<{ pending_total: number; last_push: { ok?: boolean } | null }>([
      'sync',
      'status',
    ]);
    expect(status.pending_total).toBe(0);
    const serverSessions = await query<{ n: string }>('select count(*)::text as n from public.sessions');
    expect(serverSessions[0]?.n).toBe('2');
    expect((await m.ok(['config', 'get', 'supabase.url'])).stdout).toContain(standIn.url);
    expect((await m.ok(['config', 'get', 'sync.content'])).stdout).toContain('redacted');

    // A second run finds everything in place and asks nothing new.
    const again = await setup(m, ['--yes', '--no-sync']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Already logged in.');
    expect(again.stdout).toContain(`The schema is up to date (${shipped.at(-1)?.version}).`);
  }, 180_000);

  it('every sync checks the schema version and names the command that upgrades it', async () => {
    const m = newMachine('laptop2');
    const first = await setup(m, [...base(), '--no-sync']);
    expect(first.code, first.stderr).toBe(0);
    const latest = shippedMigrations().at(-1)!;
    const [row] = await query<{ version: string; name: string; statements: string[] }>(
      'delete from supabase_migrations.schema_migrations where version = $1 returning version, name, statements',
      [latest.version],
    );
    try {
      const sync = await m.run(['sync']);
      expect(sync.code).toBe(3);
      expect(sync.stderr).toContain('has an older agentlogs schema');
      expect(sync.stderr).toContain(latest.version);
      expect(sync.stderr).toContain('agentlogs schema apply --db-url <database URL>');
      const status = await m.run(['schema', 'status', '--json']);
      expect(status.code).toBe(1);
      expect(JSON.parse(status.stdout)).toMatchObject({ source: 'api', missing: [latest.version] });
    } finally {
      await query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [row!.version, row!.name, row!.statements],
      );
    }
    expect((await m.run(['sync'])).code).toBe(0);
  }, 120_000);
});

describe('sync disable', () => {
  it('goes local-only: stats unchanged, whoami fails, sync refuses until enabled; cloud data kept', async () => {
    const m = newMachine('desk');
    expect((await setup(m, [...base()])).code).toBe(0);
    const before = (await m.ok(['stats', '--json'])).stdout;
    const userId = (
      await query<{ user_id: string }>('select user_id::text from public.user_profiles limit 1')
    )[0]!.user_id;
    const rowsBefore = await query<{ n: string }>(
      'select count(*)::text as n from public.turns where user_id = $1',
      [userId],
    );

    const disable = await m.ok(['sync', 'disable']);
    expect(disable.stdout).toContain(
      'Sync is off for profile default: every session of this account was signed out',
    );
    expect((await m.ok(['stats', '--json'])).stdout).toBe(before);
    const who = await m.run(['whoami']);
    expect(who.code).not.toBe(0);
    const sync = await m.run(['sync']);
    expect(sync.code).toBe(3);
    expect(sync.stderr).toContain("run 'agentlogs sync enable'");
    expect(await query('select count(*)::text as n from public.turns where user_id = $1', [userId])).toEqual(
      rowsBefore,
    );

    expect((await m.ok(['sync', 'enable'])).stdout).toContain('Sync is on');
    await m.login();
    expect((await m.run(['sync'])).code).toBe(0);
  }, 180_000);

  it('--delete-cloud-data removes every row of the user and nothing of anyone else', async () => {
    const m = newMachine('tower');
    expect((await setup(m, [...base()])).code).toBe(0);
    const before = (await m.ok(['stats', '--json'])).stdout;
    const refused = await m.run(['sync', 'disable', '--delete-cloud-data']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');

    // Another account's rows, which must stay.
    const other = await query<{ id: string }>(
      "insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'other@example.com') returning id::text",
    );
    const otherId = other[0]!.id;
    await query(
      "insert into public.machines (user_id, id, version, updated_at, device_id, change_seq, name) values ($1, 'm-other', 1, now(), 'd-other', 1, 'other')",
      [otherId],
    );

    const done = await m.ok(['sync', 'disable', '--delete-cloud-data', '--yes']);
    expect(done.stdout).toMatch(/Removed from .*: [\d,]+ rows \(.*turns [\d,]+/);
    const left = await query<{ n: string }>(
      `select (select count(*) from public.turns where user_id <> $1) + (select count(*) from public.sessions where user_id <> $1)
            + (select count(*) from public.machines where user_id <> $1) + (select count(*) from public.user_profiles where user_id <> $1)
            + (select count(*) from public.projects where user_id <> $1) + (select count(*) from public.cognitive_commits where user_id <> $1) as n`,
      [otherId],
    );
    expect(left[0]?.n).toBe('0');
    const kept = await query<{ n: string }>(
      'select count(*)::text as n from public.machines where user_id = $1',
      [otherId],
    );
    expect(kept[0]?.n).toBe('1');
    expect((await m.ok(['stats', '--json'])).stdout).toBe(before);
    expect((await m.run(['whoami'])).code).not.toBe(0);
  }, 180_000);
});
