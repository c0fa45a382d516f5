/**
 * The `agentlogs setup` wizard driven through its questions: the binary runs with stdin and stdout as pipes, so
 * it asks each question as a line and reads each answer as a line, and this test answers them as a person would
 * (one wrong answer included) against a project whose database has nothing of agentlogs yet. It ends logged in,
 * with the schema applied and a first sync done.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
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
import { main } from '../src/main.js';
import { shippedMigrations } from '../src/schema/migrations.js';
import { claudeTree, eventually, fixtures, Machine, removeTemps, type Spawned } from './e2e-harness.js';

let cluster: PostgresCluster;
let standIn: StandIn;
let databaseUrl: string;
let transcripts: string;
/** The machine the wizard set up (the later tests go on with it). */
let wizard: Machine | undefined;

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
  await admin.query('create database wizard_project');
  await admin.end();
  databaseUrl = `${cluster.databaseUrl('wizard_project')}?sslmode=disable`;
  // A new Supabase project before any migration: roles and the auth schema, nothing of agentlogs.
  await applySqlFile(databaseUrl, BOOTSTRAP_SQL_PATH);
  standIn = await startStandIn({ databaseUrl, routes: [] });
  new AuthStandIn().mountOn(standIn);
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

/** A machine with nothing configured: the wizard has to ask for the project. */
function newMachine(name: string): Machine {
  return new Machine(name, standIn.url, standIn.anonKey, {
    AGENTLOGS_SUPABASE_URL: '',
    AGENTLOGS_SUPABASE_ANON_KEY: '',
    CLAUDE_CONFIG_DIR: transcripts,
    CODEX_HOME: path.join(transcripts, 'no-codex'),
  });
}

/** Plays the person at the keyboard: waits for each question on stdout, then types the answer. */
class Person {
  private seen = 0;
  constructor(private readonly cli: Spawned) {}

  async waitFor(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.cli.stdout().indexOf(text, this.seen);
      if (at >= 0) {
        this.seen = at + text.length;
        return;
      }
      if (this.cli.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `no "${text}" from setup (exit ${this.cli.child.exitCode})\n${this.cli.stdout()}\n${this.cli.stderr()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async answer(question: string, reply: string): Promise<void> {
    await this.waitFor(question);
    this.cli.child.stdin.write(`${reply}\n`);
  }
}

describe('setup, answering its questions', () => {
  it('on an empty project: asks, checks, applies the schema, logs in, imports and syncs', async () => {
    expect(await query("select to_regclass('supabase_migrations.schema_migrations') as t")).toEqual([
      { t: null },
    ]);
    const m = newMachine('wizard');
    wizard = m;
    // The options a person may add; every question below is asked on stdin.
    const cli = m.spawn(['setup', '--no-browser', '--timeout', '60', '--runner', 'builtin']);
    const person = new Person(cli);

    await person.answer('? Supabase project URL', 'not a url');
    await person.answer('answer again.', standIn.url);
    await person.answer('? Anon (publishable) key', standIn.anonKey);
    await person.waitFor('does not have the agentlogs schema yet');
    await person.answer('? Database URL to apply it', databaseUrl);
    await person.waitFor('? What may leave this machine? [redacted]');
    await person.waitFor('3. full');
    // The menu takes a number or a name: "full" is the third.
    await person.answer('(a number or a name)', '3');
    await person.answer('? Log in with GitHub now? [Y/n]', '');
    let authorize: string | undefined;
    for (let i = 0; i < 1200 && !authorize && cli.child.exitCode === null; i++) {
      authorize = findAuthorizeUrl(cli.stderr());
      if (!authorize) await new Promise((r) => setTimeout(r, 50));
    }
    expect(authorize, cli.stderr()).toBeDefined();
    await playBrowserLogin(authorize!);
    await person.answer('? Import your Claude Code and Codex CLI transcripts now? [Y/n]', 'y');
    await person.waitFor('First upload: 2 sessions');
    await person.answer('? Sync now? [Y/n]', 'yes');
    await person.answer("? Run 'agentlogs sync --watch' in the background (a user service)? [y/N]", '');
    const run = await cli.done;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);

    const shipped = shippedMigrations();
    expect(run.stdout).toContain(`Applied ${shipped.length} migrations with the built-in runner.`);
    expect(run.stdout).toContain('Content level: full.');
    expect(run.stdout).toMatch(
      /First upload: 2 sessions, [\d,]+ rows, [\d.]+ [KM]iB as sent at content level full/,
    );
    expect(run.stdout).toContain('Set up.');
    // Secrets typed as answers are never printed back.
    expect(run.stdout).not.toContain(standIn.anonKey);
    expect(run.stderr).not.toContain(standIn.anonKey);

    const applied = await query<{ version: string }>(
      'select version from supabase_migrations.schema_migrations order by 1',
    );
    expect(applied.map((r) => r.version)).toEqual(shipped.map((s) => s.version));
    expect((await m.ok(['whoami'])).stdout).toContain('octocat');
    const status = await m.json<{ pending_total: number }>(['sync', 'status']);
    expect(status.pending_total).toBe(0);
    const sessions = await query<{ n: string }>('select count(*)::text as n from public.sessions');
    expect(sessions[0]?.n).toBe('2');
    expect((await m.ok(['config', 'get', 'supabase.url'])).stdout).toContain(standIn.url);
    expect((await m.ok(['config', 'get', 'sync.content'])).stdout).toContain('full');
    // No service was asked for.
    expect((await m.run(['service', 'status', '--platform', 'linux'])).code).toBe(1);
  }, 240_000);

  it("the service's sync --watch then takes the day's backup, once, and it restores to the same stats", async () => {
    const m = wizard;
    expect(m, 'the wizard test ran first').toBeDefined();
    const watch = m!.spawn(['sync', '--watch']);
    watch.child.stdin.end();
    await eventually(
      async () =>
        /backed up the local database to /.test(watch.stderr() + watch.stdout()) ? true : undefined,
      60_000,
      "the watch's daily backup",
    );
    watch.child.kill('SIGTERM');
    expect((await watch.done).code).toBe(0);
    const list = await m!.json<{ file: string }[]>(['backup', '--list']);
    expect(list).toHaveLength(1);

    // A second start on the same day finds today's backup and takes none.
    const again = m!.spawn(['sync', '--watch']);
    again.child.stdin.end();
    await eventually(
      async () => (/watching/.test(again.stderr() + again.stdout()) ? true : undefined),
      60_000,
      'the watch to start',
    );
    await new Promise((r) => setTimeout(r, 1_500));
    again.child.kill('SIGTERM');
    const second = await again.done;
    expect(second.stderr + second.stdout).not.toContain('backed up the local database');
    expect(await m!.json<unknown[]>(['backup', '--list'])).toHaveLength(1);

    const empty = new Machine('restored', standIn.url, standIn.anonKey);
    await empty.ok(['restore', list[0]!.file]);
    expect((await empty.ok(['stats', '--json'])).stdout).toBe((await m!.ok(['stats', '--json'])).stdout);
  }, 180_000);

  it('the first upload draws its progress on a terminal, and none with --json', async () => {
    class Capture extends Writable {
      text = '';
      readonly isTTY = true;
      readonly columns = 100;
      override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
        this.text += chunk.toString();
        done();
      }
    }
    for (const json of [false, true]) {
      // A machine set up without its first sync, with transcripts of its own: everything it imported is waiting
      // (the same transcripts as another machine of the account would come down with the pull instead).
      const own = json
        ? 'oneryalcin-fasthooks/sample_main_transcript.jsonl'
        : 'marot-spotter/tool_heavy.jsonl';
      const m = new Machine(json ? 'quiet' : 'bars', standIn.url, standIn.anonKey, {
        AGENTLOGS_SUPABASE_URL: '',
        AGENTLOGS_SUPABASE_ANON_KEY: '',
        CLAUDE_CONFIG_DIR: path.dirname(claudeTree({ own: [path.join(fixtures, own)] })),
        CODEX_HOME: path.join(transcripts, 'no-codex'),
      });
      const cli = m.spawn([
        'setup',
        '--yes',
        '--url',
        standIn.url,
        '--anon-key',
        standIn.anonKey,
        '--no-sync',
      ]);
      cli.child.stdin.end();
      let authorize: string | undefined;
      for (let i = 0; i < 1200 && !authorize && cli.child.exitCode === null; i++) {
        authorize = findAuthorizeUrl(cli.stderr());
        if (!authorize) await new Promise((r) => setTimeout(r, 50));
      }
      await playBrowserLogin(authorize!);
      expect((await cli.done).code).toBe(0);
      const pending = (await m.json<{ pending_total: number }>(['sync', 'status'])).pending_total;
      expect(pending).toBeGreaterThan(0);

      // The same first upload as the wizard's "Sync now", run on a terminal.
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(json ? ['sync', '--json'] : ['sync'], {
        env: m.env(),
        stdout,
        stderr,
        signal: new AbortController().signal,
      });
      expect(code, stderr.text).toBe(0);
      if (json) {
        expect(stderr.text).not.toMatch(/\r|pushing|pulling/);
        expect(() => JSON.parse(stdout.text)).not.toThrow();
      } else {
        expect(stderr.text).toMatch(/\rpushing \[[#-]+\] +\d+% [\d,]+\/[\d,]+ rows, [\d.]+ (B|KiB|MiB)/);
        expect(stdout.text).toMatch(/Pushed [\d,]+ records/);
      }
      expect((await m.json<{ pending_total: number }>(['sync', 'status'])).pending_total).toBe(0);
    }
  }, 180_000);

  it('stops with the unattended form when its input ends before an answer; nothing saved', async () => {
    const m = newMachine('closed');
    const run = await m.run(['setup']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('? Supabase project URL');
    expect(run.stderr).toContain('its input ended before an answer');
    expect(run.stderr).toContain('--yes');
    expect((await m.run(['config', 'get', 'supabase.url'])).stdout).not.toContain(standIn.url);
  }, 60_000);

  it('reads answers that arrive together (a here-document) one question at a time', async () => {
    const m = newMachine('heredoc');
    // Every answer in one write, the login declined: setup saves the project and says what is left to do.
    const cli = m.spawn(['setup', '--no-import', '--no-sync', '--no-service']);
    cli.child.stdin.end(`${standIn.url}\n${standIn.anonKey}\nmetrics\nn\n`);
    const run = await cli.done;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('The project has the agentlogs schema');
    expect(run.stdout).toContain('Content level: metrics.');
    expect(run.stderr).toContain("Not logged in: run 'agentlogs login'");
    expect((await m.ok(['config', 'get', 'sync.content'])).stdout).toContain('metrics');
  }, 60_000);
});
