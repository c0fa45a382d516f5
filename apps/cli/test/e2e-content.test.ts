/**
 * What leaves the machine, end to end: the real CLI on two and three machines against the test backend (real
 * Postgres with the migrations), transcripts with planted secrets of many kinds generated at run time. The whole
 * database is dumped (every text column of every table of every schema) to check what the server holds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { seededRandom } from '@agentlogs/sync-core/testing';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, Machine, removeTemps, tempDir } from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };

let backend: TestBackend;
let auth: AuthStandIn;
let a: Machine;
let b: Machine;
let tree: string;
let secrets: string[];

/** Fake secrets from a fixed seed: the repository holds nothing a secret scanner would flag. */
function fakeSecrets() {
  const random = seededRandom(4242).next;
  const pick = (alphabet: string, length: number) => {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const digits = '0123456789';
  const b64 = `${alnum}+/`;
  const values = {
    github: `ghp${'_'}${pick(alnum, 36)}`,
    aws: `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
    slack: `xoxb${'-'}${pick(digits, 12)}-${pick(digits, 13)}-${pick(alnum, 24)}`,
    stripe: `sk${'_live_'}${pick(alnum, 24)}`,
    npm: `npm${'_'}${pick(alnum, 36)}`,
    gitlab: `glpat${'-'}${pick(`${alnum}_-`, 20)}`,
    dbPassword: pick(alnum, 20),
    bearer: pick(`${alnum}._-`, 40),
    envSecret: pick(alnum, 32),
    keyBody: pick(b64, 64),
  };
  const pem = ['-----BEGIN RSA ', 'PRIVATE KEY-----'].join('');
  const pemEnd = ['-----END RSA ', 'PRIVATE KEY-----'].join('');
  const texts = [
    `export GITHUB_TOKEN=${values.github}`,
    `AWS_ACCESS_KEY_ID=${values.aws}`,
    `post it with ${values.slack} please`,
    `stripe key ${values.stripe} in prod`,
    `//registry.npmjs.org/:_authToken=${values.npm}`,
    `git clone https://oauth2:${values.gitlab}@gitlab.example.test/x.git`,
    `DATABASE_URL=postgres://app:${values.dbPassword}@db.example.test:5432/app`,
    `curl -H "Authorization: Bearer ${values.bearer}" https://api.example.test`,
    `CLIENT_SECRET=${values.envSecret}`,
    `${pem}\n${values.keyBody}\n${values.keyBody}\n${pemEnd}`,
  ];
  return { values: Object.values(values), texts };
}

/** A copy of a committed transcript with a planted secret appended to every text the importer keeps. */
function plantedTranscript(target: string, texts: string[], sessionId?: string): void {
  let n = 0;
  const next = () => `\nnote ${n}: ${texts[n++ % texts.length]}`;
  const lines = readFileSync(path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'), 'utf8').split('\n');
  const out = lines.map((line) => {
    if (!line.trim()) return line;
    const entry = JSON.parse(line);
    if (sessionId && typeof entry.sessionId === 'string') entry.sessionId = sessionId;
    const message = entry.message;
    if (!message) return JSON.stringify(entry);
    if (typeof message.content === 'string') {
      message.content += next();
    } else if (Array.isArray(message.content)) {
      for (const block of message.content) {
        if (block.type === 'text') block.text += next();
        if (block.type === 'tool_use' && typeof block.input?.command === 'string')
          block.input.command += next();
        if (block.type === 'tool_result') {
          if (typeof block.content === 'string') block.content += next();
          else if (Array.isArray(block.content)) {
            for (const inner of block.content) if (inner.type === 'text') inner.text += next();
          }
        }
      }
    }
    return JSON.stringify(entry);
  });
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, out.join('\n'));
}

/** Every value of every text-like column of every table of the server's database, one per line. */
async function dumpServerText(): Promise<string> {
  const client = new pg.Client({ connectionString: backend.databaseUrl });
  await client.connect();
  try {
    const columns = await client.query<{ table_schema: string; table_name: string; column_name: string }>(
      `select c.table_schema, c.table_name, c.column_name from information_schema.columns c
         join information_schema.tables t using (table_schema, table_name)
       where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
         and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`,
    );
    const parts: string[] = [];
    for (const { table_schema, table_name, column_name } of columns.rows) {
      const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
      const result = await client.query<{ v: string | null }>(
        `select string_agg(${ident(column_name)}::text, E'\\n') as v from ${ident(table_schema)}.${ident(table_name)}`,
      );
      if (result.rows[0]?.v) parts.push(result.rows[0].v);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

async function serverColumn(table: string, column: string): Promise<(string | null)[]> {
  const client = new pg.Client({ connectionString: backend.databaseUrl });
  await client.connect();
  try {
    const result = await client.query(`select ${column} as v from public.${table} order by id`);
    return result.rows.map((row) => row.v as string | null);
  } finally {
    await client.end();
  }
}

async function localTurns(
  machine: Machine,
): Promise<{ content: string | null; tool_calls: string | null }[]> {
  const database = openLocalDatabase({ dir: machine.home });
  try {
    return database.sqlite.prepare('select content, tool_calls from turns order by id').all() as {
      content: string | null;
      tool_calls: string | null;
    }[];
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
  const planted = fakeSecrets();
  secrets = planted.values;
  tree = tempDir('content-tree');
  plantedTranscript(path.join(tree, 'projects', '-work-spotter', 'planted.jsonl'), planted.texts);
  a = new Machine('machine-a', backend.url, backend.anonKey);
  b = new Machine('machine-b', backend.url, backend.anonKey);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

describe('content levels end to end', { timeout: 180_000 }, () => {
  it('a new profile syncs at redacted: no planted secret is anywhere on the server, the text around them is', async () => {
    await a.loginAs(auth, OCTOCAT);
    await a.ok(['import', '--claude-dir', tree]);
    const local = JSON.stringify(await localTurns(a));
    for (const secret of secrets) expect(local).toContain(secret.split('\n')[0]);
    const status = await a.json<{ content: Record<string, unknown> }>(['sync', 'status']);
    expect(status.content).toEqual({
      level: 'redacted',
      source: 'default',
      encryption: false,
      encryption_state: 'off',
      locked_fields: 0,
      excluded_sessions: 0,
      error: null,
    });
    const dry = await a.ok(['push', '--dry-run', '--json']);
    for (const secret of secrets) expect(dry.stdout).not.toContain(secret);
    const plan = JSON.parse(dry.stdout).content as {
      level: string;
      redactions: { table: string; column: string; rule: string; excerpt: string }[];
    };
    expect(plan.level).toBe('redacted');
    const rules = new Set(plan.redactions.map((r) => r.rule));
    expect(rules.size).toBeGreaterThanOrEqual(6);
    expect(plan.redactions.every((r) => r.excerpt.includes('[REDACTED:'))).toBe(true);
    const human = await a.ok(['push', '--dry-run']);
    expect(human.stdout).toMatch(/Redaction would replace \d+ secrets/);
    for (const secret of secrets) expect(human.stdout).not.toContain(secret);
    // The dry run recorded nothing.
    expect((await a.json<{ content: { source: string } }>(['sync', 'status'])).content.source).toBe(
      'default',
    );
    await a.ok(['sync']);
    expect((await a.ok(['config', 'get', 'sync.content'])).stdout).toContain('redacted');
    const dump = await dumpServerText();
    for (const secret of secrets) expect(dump).not.toContain(secret);
    expect(dump).toContain('start phoenix in background');
    expect(dump).toContain('[REDACTED:');
    for (let n = 0; n < 10; n += 1) expect(dump).toContain(`note ${n}: `);
    // The local database keeps the original.
    expect(JSON.stringify(await localTurns(a))).toBe(local);
  });

  it('a second machine gets the redacted text and the same stats', async () => {
    await b.loginAs(auth, OCTOCAT);
    await b.ok(['sync']);
    const text = JSON.stringify(await localTurns(b));
    expect(text).toContain('start phoenix in background');
    for (const secret of secrets) expect(text).not.toContain(secret);
    for (const by of ['day', 'model', 'machine']) {
      expect(await b.json(['stats', '--by', by])).toEqual(await a.json(['stats', '--by', by]));
    }
  });

  it('metrics replaces what was uploaded: no text on the server; both machines keep their local text', async () => {
    const localA = JSON.stringify(await localTurns(a));
    const localB = JSON.stringify(await localTurns(b));
    await a.ok(['config', 'set', 'sync.content', 'metrics']);
    await a.ok(['sync']);
    for (const column of ['content', 'tool_calls']) {
      expect((await serverColumn('turns', column)).every((v) => v === null)).toBe(true);
    }
    const dump = await dumpServerText();
    expect(dump).not.toContain('phoenix in background');
    expect(dump).not.toContain('note 0: ');
    expect(dump).not.toContain('/home/marco/projects');
    expect((await serverColumn('sessions', 'title')).every((v) => v === null)).toBe(true);
    expect(await serverColumn('projects', 'path')).toEqual(['spotter']);
    expect(JSON.stringify(await localTurns(a))).toBe(localA);
    await b.ok(['sync']);
    // B held the redacted copy; the withheld one does not overwrite it.
    expect(JSON.stringify(await localTurns(b))).toBe(localB);
  });

  it('a third machine at metrics: stats --json equal the first machine', async () => {
    const c = new Machine('machine-c', backend.url, backend.anonKey);
    await c.loginAs(auth, OCTOCAT);
    await c.ok(['sync']);
    for (const by of ['day', 'model', 'machine']) {
      expect(await c.json(['stats', '--by', by])).toEqual(await a.json(['stats', '--by', by]));
    }
    expect((await localTurns(c)).every((turn) => turn.content === null && turn.tool_calls === null)).toBe(
      true,
    );
    // By project: the same numbers; the first machine names the project by its path, the others by its name.
    const byProject = async (m: Machine) =>
      (await m.json<{ rows: { key: string }[] }>(['stats', '--by', 'project'])).rows.map((row) => ({
        ...row,
        key: path.basename(row.key),
      }));
    expect(await byProject(c)).toEqual(await byProject(a));
  });

  it('an excluded project never leaves, not even as metrics', async () => {
    const d = new Machine('machine-d', backend.url, backend.anonKey);
    await d.loginAs(auth, OCTOCAT);
    await d.ok(['config', 'set', 'sync.exclude', '["/home/*/projects/spotter"]']);
    const other = tempDir('content-other');
    plantedTranscript(
      path.join(other, 'projects', '-work-spotter', 'again.jsonl'),
      ['nothing secret here'],
      '0b6f3c1e-58a2-4d47-9a51-7c2f0d9e4b10',
    );
    await d.ok(['import', '--claude-dir', other]);
    const status = await d.json<{ content: { excluded_sessions: number; level: string } }>([
      'sync',
      'status',
    ]);
    expect(status.content).toMatchObject({ excluded_sessions: 1, level: 'redacted' });
    const written = async () =>
      JSON.stringify(
        await Promise.all(
          ['projects', 'sessions', 'turns', 'cognitive_commits'].map((t) => serverColumn(t, 'change_seq')),
        ),
      );
    const before = await written();
    await d.ok(['push']);
    // Nothing of the project was written on the server; it stays pending here.
    expect(await written()).toBe(before);
    // They are not pending either: they never leave, so `sync pending` does not count them.
    const pending = await d.json<{ tables: Record<string, number>; excluded_sessions: number }>([
      'sync',
      'pending',
    ]);
    expect(pending.tables.turns).toBe(0);
    expect(pending.excluded_sessions).toBe(1);
    // Once no longer excluded, they are pending again.
    await d.ok(['config', 'unset', 'sync.exclude']);
    const released = await d.json<{ tables: Record<string, number> }>(['sync', 'pending']);
    expect(released.tables.turns).toBeGreaterThan(0);
  });
});
