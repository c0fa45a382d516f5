/**
 * End-to-end encryption, end to end: the real CLI on three machines against the test backend (real Postgres with
 * the migrations). The first machine turns encryption on, the second unlocks with the passphrase, the third
 * never does; the whole database is dumped (every text column of every table of every schema) to check that no
 * text, path or passphrase is on the server; then the passphrase changes and every machine follows.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, Machine, removeTemps, tempDir } from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };
const PASSPHRASE = 'amber lantern quietly folds';
const NEW_PASSPHRASE = 'seven copper kites at dawn';
/** Text only the transcripts hold: none of it may reach the server in the clear. */
const MARKER_A = 'marker-of-machine-a';
const MARKER_C = 'marker-of-machine-c';

let backend: TestBackend;
let auth: AuthStandIn;
let a: Machine;
let b: Machine;
let c: Machine;

/** A copy of a committed transcript with `marker` appended to every text, under its own session and project. */
function markedTranscript(root: string, marker: string, sessionId: string, cwd: string): string {
  const lines = readFileSync(path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'), 'utf8').split('\n');
  const out = lines.map((line) => {
    if (!line.trim()) return line;
    const entry = JSON.parse(line);
    if (typeof entry.sessionId === 'string') entry.sessionId = sessionId;
    if (typeof entry.cwd === 'string') entry.cwd = cwd;
    if (typeof entry.uuid === 'string') entry.uuid = `${marker.slice(-1)}${entry.uuid.slice(1)}`;
    const content = entry.message?.content;
    if (typeof content === 'string') entry.message.content = `${content} ${marker}`;
    else if (Array.isArray(content)) {
      for (const block of content) {
        if (block.type === 'text') block.text += ` ${marker}`;
        if (block.type === 'tool_result' && typeof block.content === 'string') block.content += ` ${marker}`;
      }
    }
    return JSON.stringify(entry);
  });
  const dir = path.join(root, 'projects', cwd.replaceAll('/', '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${sessionId}.jsonl`), out.join('\n'));
  return root;
}

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: backend.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Every value of every text-like column of every table of the server's database. */
async function dumpServerText(): Promise<string> {
  const columns = await query<{ table_schema: string; table_name: string; column_name: string }>(
    `select c.table_schema, c.table_name, c.column_name from information_schema.columns c
       join information_schema.tables t using (table_schema, table_name)
     where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
       and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`,
  );
  const parts: string[] = [];
  for (const { table_schema, table_name, column_name } of columns) {
    const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
    const [row] = await query<{ v: string | null }>(
      `select string_agg(${ident(column_name)}::text, E'\\n') as v from ${ident(table_schema)}.${ident(table_name)}`,
    );
    if (row?.v) parts.push(row.v);
  }
  return parts.join('\n');
}

async function localText(machine: Machine): Promise<string> {
  const database = openLocalDatabase({ dir: machine.home });
  try {
    const rows = database.sqlite
      .prepare(
        `select content, tool_calls, cwd from turns union all select title, cwd, null from sessions
         union all select path, name, null from projects order by 1`,
      )
      .all();
    return JSON.stringify(rows);
  } finally {
    await database.close();
  }
}

const secretEnv = { AGENTLOGS_PASSPHRASE: PASSPHRASE };

function expectNoSecretIn(...outputs: string[]) {
  for (const output of outputs) {
    expect(output).not.toContain(PASSPHRASE);
    expect(output).not.toContain(NEW_PASSPHRASE);
    expect(output).not.toContain('alkey1:');
  }
}

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
  a = new Machine('machine-a', backend.url, backend.anonKey);
  b = new Machine('machine-b', backend.url, backend.anonKey);
  c = new Machine('machine-c', backend.url, backend.anonKey);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

describe('end-to-end encryption', { timeout: 240_000 }, () => {
  it('enable: the server then holds ciphertext only, the key parameters and no passphrase', async () => {
    await a.loginAs(auth, OCTOCAT);
    const treeA = markedTranscript(
      tempDir('enc-a'),
      MARKER_A,
      'a1b2c3d4-0000-4000-8000-00000000000a',
      '/home/ada/projects/orchard',
    );
    await a.ok(['import', '--claude-dir', treeA]);
    await a.ok(['config', 'set', 'sync.content', 'full']);
    await a.ok(['sync']);
    expect(await dumpServerText()).toContain(MARKER_A);

    const enable = await a.ok(['encryption', 'enable'], secretEnv);
    expect(enable.stdout).toContain('Encryption is on');
    expectNoSecretIn(enable.stdout, enable.stderr);
    const keyFile = path.join(a.home, 'credentials', 'content-key.json');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // Enabling twice is refused with one line.
    const again = await a.run(['encryption', 'enable'], secretEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already on');

    await a.ok(['sync']);
    const dump = await dumpServerText();
    expect(dump).not.toContain(MARKER_A);
    expect(dump).not.toContain('orchard');
    expect(dump).not.toContain('start phoenix in background');
    expect(dump).toContain('alenc1:');
    expectNoSecretIn(dump);
    const [keyRow] = await query<{ kdf: { algorithm: string; N: number; salt: string }; key_check: string }>(
      'select kdf, key_check from private.content_keys',
    );
    expect(keyRow!.kdf).toMatchObject({ algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(keyRow!.key_check).toMatch(/^alkc1:/);
    // Metrics stay readable on the server.
    const [tokens] = await query<{ n: string }>('select sum(output_tokens)::text as n from public.turns');
    expect(Number(tokens!.n)).toBeGreaterThan(0);
    const status = await a.json<{ account: string; machine: string }>(['encryption', 'status']);
    expect(status).toMatchObject({ account: 'on', machine: 'unlocked' });
    const syncStatus = await a.json<{ content: Record<string, unknown> }>(['sync', 'status']);
    expect(syncStatus.content).toMatchObject({ encryption: true, encryption_state: 'on', locked_fields: 0 });
  });

  it('a second machine: a wrong passphrase is one clear line; the right one reads everything back', async () => {
    await b.loginAs(auth, OCTOCAT);
    const wrong = await b.run(['encryption', 'unlock'], { AGENTLOGS_PASSPHRASE: 'not the passphrase' });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr.trim().split('\n')[0]).toBe(
      'agentlogs encryption unlock: wrong passphrase: it is not the one encryption was enabled with',
    );
    expect(wrong.stderr).not.toContain('not the passphrase');
    const file = path.join(tempDir('pass'), 'passphrase');
    writeFileSync(file, `${PASSPHRASE}\n`, { mode: 0o600 });
    const unlock = await b.ok(['encryption', 'unlock', '--passphrase-file', file]);
    expectNoSecretIn(unlock.stdout, unlock.stderr);
    await b.ok(['sync']);
    expect(await localText(b)).toBe(await localText(a));
    for (const by of ['day', 'model', 'machine', 'project']) {
      expect(await b.json(['stats', '--by', by])).toEqual(await a.json(['stats', '--by', by]));
    }
  });

  it('a third machine without the key syncs every metric, shows text as locked and sends none of its own', async () => {
    await c.loginAs(auth, OCTOCAT);
    const first = await c.ok(['sync']);
    expect(first.stderr).toContain('Encryption: locked');
    for (const by of ['day', 'model', 'machine']) {
      expect(await c.json(['stats', '--by', by])).toEqual(await a.json(['stats', '--by', by]));
    }
    const held = await localText(c);
    expect(held).not.toContain(MARKER_A);
    expect(held).toContain('alenc1:');
    const status = await c.json<{ account: string; machine: string; reason: string; locked_fields: number }>([
      'encryption',
      'status',
    ]);
    expect(status).toMatchObject({ account: 'on', machine: 'locked', reason: 'no-key' });
    expect(status.locked_fields).toBeGreaterThan(0);
    // Locked text shows as locked, never as ciphertext; stats by project still group by project.
    const commits = await c.ok(['commits', 'list', '--json']);
    expect(commits.stdout).not.toContain('alenc1:');
    expect(commits.stdout).toContain('(locked)');
    const byProject = await c.json<{ rows: { key: string }[] }>(['stats', '--by', 'project']);
    expect(byProject.rows.map((row) => row.key)).toEqual([
      expect.stringMatching(/^\(locked project [0-9a-f-]{8}\)$/),
    ]);

    const treeC = markedTranscript(
      tempDir('enc-c'),
      MARKER_C,
      'c1b2c3d4-0000-4000-8000-00000000000c',
      '/home/cy/projects/walnut',
    );
    await c.ok(['import', '--claude-dir', treeC]);
    await c.ok(['sync']);
    const dump = await dumpServerText();
    expect(dump).not.toContain(MARKER_C);
    expect(dump).not.toContain('walnut');
    expect(dump).not.toContain(MARKER_A);
    // A and B still hold their text: the locked machine sent nothing less over it.
    await a.ok(['sync']);
    await b.ok(['sync']);
    expect(await localText(a)).toContain(MARKER_A);
    expect(await localText(b)).toBe(await localText(a));
    // C's session reached A as metrics; its project, whose path did not travel, is named by its id.
    expect((await a.json<{ rows: unknown[] }>(['stats', '--by', 'machine'])).rows).toHaveLength(2);
    const keys = (await a.json<{ rows: { key: string }[] }>(['stats', '--by', 'project'])).rows.map(
      (r) => r.key,
    );
    expect(keys).toHaveLength(2);
    expect(keys).toContain('/home/ada/projects/orchard');
    expect(keys.find((key) => key !== '/home/ada/projects/orchard')).toMatch(/^\(project [0-9a-f-]{8}\)$/);
  });

  it('change-passphrase re-encrypts the server; the others lock until they unlock with the new one', async () => {
    const before = await query<{ id: string; content: string }>(
      'select id, content from public.turns where content is not null order by id',
    );
    const change = await a.ok(['encryption', 'change-passphrase'], {
      AGENTLOGS_PASSPHRASE: PASSPHRASE,
      AGENTLOGS_NEW_PASSPHRASE: NEW_PASSPHRASE,
    });
    expect(change.stdout).toMatch(/Passphrase changed: \d+ records re-encrypted/);
    expectNoSecretIn(change.stdout, change.stderr);
    const after = new Map(
      (await query<{ id: string; content: string }>('select id, content from public.turns')).map((r) => [
        r.id,
        r.content,
      ]),
    );
    expect(before.length).toBeGreaterThan(0);
    for (const row of before) {
      expect(after.get(row.id)).toMatch(/^alenc1:/);
      expect(after.get(row.id)).not.toBe(row.content);
    }
    expect(await dumpServerText()).not.toContain(MARKER_A);

    const textB = await localText(b);
    const locked = await b.ok(['sync']);
    expect(locked.stderr).toContain('the passphrase was changed on another machine');
    expect(await localText(b)).toBe(textB);
    const old = await b.run(['encryption', 'unlock'], secretEnv);
    expect(old.code).toBe(4);
    await b.ok(['encryption', 'unlock'], { AGENTLOGS_PASSPHRASE: NEW_PASSPHRASE });
    await b.ok(['sync']);
    expect(await localText(b)).toContain(MARKER_A);

    // The machine that never had the key unlocks with the new passphrase: what it pulled opens, its own text
    // goes up encrypted and reaches the others.
    await c.ok(['encryption', 'unlock'], { AGENTLOGS_PASSPHRASE: NEW_PASSPHRASE });
    await c.ok(['sync']);
    expect(await localText(c)).toContain(MARKER_A);
    expect((await c.json<{ locked_fields: number }>(['encryption', 'status'])).locked_fields).toBe(0);
    expect(await dumpServerText()).not.toContain(MARKER_C);
    await a.ok(['sync']);
    expect(await localText(a)).toContain(MARKER_C);
    await b.ok(['sync']);
    expect(await localText(b)).toBe(await localText(a));

    // Locking deletes the key; the machine keeps syncing.
    const lock = await c.ok(['encryption', 'lock']);
    expect(lock.stdout).toContain('Locked');
    expect((await c.ok(['sync'])).stderr).toContain('Encryption: locked');
  });
});
