/**
 * Screenshots end to end: the real CLI on two machines against the test backend (real Postgres with the
 * migrations, the Storage slice of the stand-in). An image in a transcript on one machine is uploaded once to
 * the `visuals` bucket and comes back byte for byte on the other when first viewed; the quota `sync status`
 * shows is what the database measures for that user; pruning old text leaves every machine's local text.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, claudeTree, ingestFixtures, Machine, removeTemps } from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };
const FIXTURE = path.join(ingestFixtures, 'screenshot-session.jsonl');

let backend: TestBackend;
let auth: AuthStandIn;
let a: Machine;
let b: Machine;

/** The distinct images of the fixture by SHA-256. */
function fixtureImages(): Map<string, Buffer> {
  const images = new Map<string, Buffer>();
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean)) {
    const walk = (blocks: unknown): void => {
      if (!Array.isArray(blocks)) return;
      for (const block of blocks as Record<string, unknown>[]) {
        if (block.type === 'image') {
          const bytes = Buffer.from((block.source as { data: string }).data, 'base64');
          images.set(createHash('sha256').update(bytes).digest('hex'), bytes);
        }
        if (block.type === 'tool_result') walk(block.content);
      }
    };
    walk((JSON.parse(line) as { message: { content: unknown } }).message.content);
  }
  return images;
}

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: backend.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

interface ListedVisual {
  id: string;
  sha256: string;
  bytes: number;
  local: boolean;
}

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
  a = new Machine('machine-a', backend.url, backend.anonKey);
  b = new Machine('machine-b', backend.url, backend.anonKey);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

describe('visuals through Supabase Storage', { timeout: 180_000 }, () => {
  it('a screenshot imported on one machine is byte-identical on another after sync', async () => {
    const images = fixtureImages();
    expect(images.size).toBe(2);
    await a.loginAs(auth, OCTOCAT);
    await a.ok(['config', 'set', 'sync.content', 'full']);
    const imported = await a.ok(['import', '--claude-dir', claudeTree({ webapp: [FIXTURE] })]);
    expect(imported.stdout).toContain('3 new images');
    const listedA = await a.json<ListedVisual[]>(['visuals', 'list']);
    expect(listedA).toHaveLength(3);
    expect(listedA.every((v) => v.local)).toBe(true);

    const first = await a.ok(['sync']);
    expect(first.stdout).toContain('Uploaded 2 images');
    const userId = (await a.json<{ user_id: string }>(['whoami'])).user_id;
    const objects = await query<{ name: string; size: string }>(
      `select name, metadata->>'size' as size from storage.objects where bucket_id = 'visuals' order by name`,
    );
    expect(objects).toEqual(
      [...images]
        .map(([sha, bytes]) => ({ name: `${userId}/${sha}.png`, size: String(bytes.length) }))
        .sort((x, y) => x.name.localeCompare(y.name)),
    );
    // Uploaded once: the next sync sends no image.
    expect((await a.ok(['sync'])).stdout).not.toContain('Uploaded');

    await b.loginAs(auth, OCTOCAT);
    await b.ok(['sync']);
    const listedB = await b.json<ListedVisual[]>(['visuals', 'list']);
    expect(listedB.map((v) => v.id).sort()).toEqual(listedA.map((v) => v.id).sort());
    expect(listedB.every((v) => !v.local)).toBe(true);
    for (const visual of listedB) {
      const got = await b.json<{ path: string; fetched: boolean; sha256: string }>([
        'visuals',
        'get',
        visual.id,
      ]);
      expect(readFileSync(got.path).equals(images.get(visual.sha256)!)).toBe(true);
    }
    // Viewed once, kept: no download the second time.
    const again = await b.json<{ fetched: boolean }>(['visuals', 'get', listedB[0]!.id]);
    expect(again.fetched).toBe(false);
    expect((await b.json<ListedVisual[]>(['visuals', 'list'])).every((v) => v.local)).toBe(true);
    // The second machine never uploads what it fetched.
    expect((await b.ok(['sync'])).stdout).not.toContain('Uploaded');
    expect(await query('select 1 from storage.objects')).toHaveLength(2);
  });

  it('sync status shows the footprint the database measures for that user, against the plan', async () => {
    const userId = (await a.json<{ user_id: string }>(['whoami'])).user_id;
    const status = await a.json<{
      quota: {
        plan: string;
        database: { bytes: number; quota: number };
        storage: { bytes: number; objects: number; quota: number };
        tables: { table: string; rows: number; bytes: number }[];
      };
    }>(['sync', 'status']);
    const tables = [
      'user_profiles',
      'machines',
      'projects',
      'sessions',
      'cognitive_commits',
      'turns',
      'visuals',
    ];
    let total = 0;
    for (const table of tables) {
      const [row] = await query<{ rows: string; bytes: string }>(
        `select count(*) as rows, coalesce(sum(pg_column_size(t.*)), 0) as bytes from public.${table} t where user_id = $1`,
        [userId],
      );
      expect(status.quota.tables.find((t) => t.table === table)).toEqual({
        table,
        rows: Number(row!.rows),
        bytes: Number(row!.bytes),
      });
      total += Number(row!.bytes);
    }
    expect(status.quota.database.bytes).toBe(total);
    const [stored] = await query<{ bytes: string; n: string }>(
      `select sum((metadata->>'size')::bigint) as bytes, count(*) as n from storage.objects where name like $1`,
      [`${userId}/%`],
    );
    expect(status.quota.storage).toMatchObject({ bytes: Number(stored!.bytes), objects: Number(stored!.n) });
    expect(status.quota).toMatchObject({ plan: 'free', database: { quota: 500 * 1024 * 1024 } });
    expect((await a.ok(['sync', 'status'])).stdout).toMatch(/Cloud usage: .* of 500\.0 MiB database/);

    // A tiny plan makes the push warn and say how to shrink.
    await a.ok(['config', 'set', 'sync.plan', '0.001']);
    await a.ok([
      'commits',
      'title',
      (await a.json<{ id: string }[]>(['commits', 'list']))[0]!.id,
      'Fix the header',
    ]);
    const warned = await a.ok(['push'], { AGENTLOGS_DEBUG: '1' });
    expect(warned.stderr, warned.stdout).toMatch(/takes [\d.]+% of the database quota/);
    expect(warned.stderr).toContain('sync prune --older-than 180d');
    await a.ok(['config', 'unset', 'sync.plan']);
  });

  it('prune removes old text from the cloud; machines keep theirs and stats agree', async () => {
    const localContent = async (machine: Machine) => {
      const database = openLocalDatabase({ dir: machine.home });
      try {
        return database.sqlite.prepare('select id, content from turns order by id').all();
      } finally {
        await database.close();
      }
    };
    const beforeA = await localContent(a);
    const beforeB = await localContent(b);
    const pruned = await a.json<{ pruned: { turns: number } }>(['sync', 'prune', '--older-than', '1d']);
    expect(pruned.pruned.turns).toBeGreaterThan(0);
    expect(await query('select 1 from public.turns where content is not null')).toEqual([]);
    await a.ok(['sync']);
    await b.ok(['sync']);
    expect(await localContent(a)).toEqual(beforeA);
    expect(await localContent(b)).toEqual(beforeB);
    // Pulling the emptied records again (a full resync) never replaces local text.
    await b.ok(['sync', 'reset', '--yes']);
    await b.ok(['sync']);
    expect(await localContent(b)).toEqual(beforeB);
    // A new machine gets the metrics without the text.
    const c = new Machine('machine-c', backend.url, backend.anonKey);
    await c.loginAs(auth, OCTOCAT);
    await c.ok(['sync']);
    expect(await c.json(['stats', '--by', 'session'])).toEqual(await a.json(['stats', '--by', 'session']));
  });

  it('on a terminal the image upload draws its bar (images and bytes); with --json it draws none', async () => {
    /** `agentlogs <args>` in a pseudo-terminal (`script`), as a person runs it; stdout and stderr together. */
    const inTerminal = async (machine: Machine, args: string[]) => {
      const command = [process.execPath, bin, ...args].map((w) => `'${w}'`).join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: machine.env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        output += d;
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      return { code, output };
    };
    // Another account, so its images are not in the bucket yet.
    const p = new Machine('machine-p', backend.url, backend.anonKey);
    await p.loginAs(auth, { id: 9_140_213, login: 'picture-taker', email: 'p@github.example' });
    await p.ok(['config', 'set', 'sync.content', 'full']);
    await p.ok(['import', '--claude-dir', claudeTree({ webapp: [FIXTURE] })]);
    const pushed = await inTerminal(p, ['push']);
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toMatch(/uploading images \[[#-]+\] +\d+% \d+\/2 images, [\d.]+ (B|KiB|MiB)/);
    expect(pushed.output).toContain('Uploaded 2 images');

    const q = new Machine('machine-q', backend.url, backend.anonKey);
    await q.loginAs(auth, { id: 9_140_214, login: 'quiet-one', email: 'q@github.example' });
    await q.ok(['config', 'set', 'sync.content', 'full']);
    await q.ok(['import', '--claude-dir', claudeTree({ webapp: [FIXTURE] })]);
    const quiet = await inTerminal(q, ['push', '--json']);
    expect(quiet.code, quiet.output).toBe(0);
    expect(quiet.output).not.toContain('uploading images');
    expect(quiet.output).not.toMatch(/pushing \[/);
  });
});
