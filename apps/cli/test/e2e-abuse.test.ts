/**
 * The project under abuse, through the real CLI binary: a stranger who signs in writes nothing, and one record
 * above the server's record cap is parked on its machine while everything else reaches the other machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, Machine, removeTemps, tempDir } from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };
const STRANGER = { id: 4242, login: 'mallory', email: 'mallory@github.example' };

let backend: TestBackend;
let auth: AuthStandIn;

interface Stats {
  totals: { turns: number };
}
interface Status {
  dead_letters: { table: string; id: string; code: string; message: string }[];
}

/** A Claude Code tree: the committed short.jsonl plus one user message of `bytes` bytes. */
function treeWithHugeTurn(bytes: number): string {
  const source = readFileSync(path.join(fixtures, 'marot-spotter/short.jsonl'), 'utf8');
  const lines = source.split('\n').filter((l) => l !== '');
  const template = JSON.parse(lines.find((l) => l.includes('"type":"user"')) as string);
  const huge = {
    ...template,
    parentUuid: template.uuid,
    uuid: '00000000-0000-4000-8000-00000000beef',
    timestamp: '2026-02-10T21:30:00.000Z',
    message: { role: 'user', content: 'paste '.repeat(Math.ceil(bytes / 6)) },
  };
  const root = tempDir('claude-huge');
  mkdirSync(path.join(root, 'projects', 'spotter'), { recursive: true });
  writeFileSync(
    path.join(root, 'projects', 'spotter', 'short.jsonl'),
    `${[...lines, JSON.stringify(huge)].join('\n')}\n`,
  );
  return path.join(root, 'projects');
}

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

describe('the project under abuse', { timeout: 120_000 }, () => {
  it('a stranger who signs in is refused with one line and exit 4, and writes nothing', async () => {
    const owner = new Machine('owner-laptop', backend.url, backend.anonKey);
    await owner.loginAs(auth, OCTOCAT);
    auth.settings.allowEveryAccount = false;
    const stranger = new Machine('stranger', backend.url, backend.anonKey);
    const previous = auth.github.account;
    auth.github.account = STRANGER;
    let refused: Awaited<ReturnType<Machine['run']>> | undefined;
    try {
      await stranger.login();
    } catch (error) {
      refused = (error as { run?: Awaited<ReturnType<Machine['run']>> }).run;
    } finally {
      auth.github.account = previous;
      auth.settings.allowEveryAccount = true;
    }
    expect(refused?.code).toBe(4);
    expect(refused?.stderr).toContain('may not write');
    expect(refused?.stderr).toContain('agentlogs access allow');
    const { rows } = await backend.standIn.adminPool.query<{ n: string }>(
      `select count(*) as n from public.machines m join auth.identities i on i.user_id = m.user_id
        where i.identity_data ->> 'user_name' = 'mallory'`,
    );
    expect(Number(rows[0]?.n)).toBe(0);
    // The owner lists who may write.
    const list = await owner.json<{ githubLogin: string; role: string }[]>(['access', 'list']);
    expect(list.map((e) => [e.githubLogin, e.role])).toEqual([['octocat', 'owner']]);
  });

  it('one record above the record cap is parked with its reason; the rest reaches the other machine', async () => {
    const { adminPool } = backend.standIn;
    await adminPool.query('update private.limits set max_record_bytes = 100000');
    const a = new Machine('machine-a', backend.url, backend.anonKey);
    const b = new Machine('machine-b', backend.url, backend.anonKey);
    await a.loginAs(auth, OCTOCAT);
    await b.loginAs(auth, OCTOCAT);
    await a.ok(['import', '--claude-dir', treeWithHugeTurn(300_000)]);

    const first = await a.run(['sync']);
    expect(first.code).toBe(1); // a record was parked (docs/cli.md)
    const status = await a.json<Status>(['sync', 'status']);
    expect(status.dead_letters).toHaveLength(1);
    expect(status.dead_letters[0]).toMatchObject({ table: 'turns', code: '54000' });
    expect(status.dead_letters[0]?.message).toContain('max_record_bytes');
    // Nothing is left to send and nothing is retried in a loop: the next sync is quiet.
    expect((await a.run(['sync'])).code).toBe(0);

    await b.ok(['sync']);
    const turnsA = (await a.json<Stats>(['stats'])).totals.turns;
    expect((await b.json<Stats>(['stats'])).totals.turns).toBe(turnsA - 1);

    // With the cap raised, `sync retry` sends it.
    await adminPool.query('update private.limits set max_record_bytes = 4194304');
    await a.ok(['sync', 'retry']);
    await a.ok(['sync']);
    expect((await a.json<Status>(['sync', 'status'])).dead_letters).toEqual([]);
    await b.ok(['sync']);
    expect((await b.json<Stats>(['stats'])).totals.turns).toBe(turnsA);
  });
});
