/**
 * Encrypted images and turning encryption off, end to end: the real CLI on three machines against the test
 * backend (real Postgres with the migrations, the Storage slice of the stand-in reached through supabase-js).
 * Images are sealed with the content key under keyed-hash names, open byte for byte on a machine holding the key
 * and stay locked on one without it; `encryption disable` needs the passphrase, puts the text and images back in
 * plain form at the content level, removes the key parameters, and no machine loses local text.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { createProjectClient, VisualStorage } from '@agentlogs/supabase-remote';
import {
  AuthStandIn,
  accessTokenClaims,
  signJwt,
  startTestBackend,
  type TestBackend,
} from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ingestFixtures, Machine, removeTemps, tempDir } from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };
const PASSPHRASE = 'amber lantern quietly folds';
const NEW_PASSPHRASE = 'seven copper kites at dawn';
const MARKER_A = 'marker-of-machine-a';
const MARKER_C = 'marker-of-machine-c';
const SCREENSHOTS = path.join(ingestFixtures, 'screenshot-session.jsonl');
const secretEnv = { AGENTLOGS_PASSPHRASE: PASSPHRASE };

let backend: TestBackend;
let auth: AuthStandIn;
let a: Machine;
let b: Machine;
let c: Machine;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The committed screenshot session under another session id, its images changed by `suffix` appended to their
 * bytes (still PNG files: the signature is at the start), with `marker` in its texts. Returns the tree and the
 * images by SHA-256.
 */
function screenshotTranscript(
  marker: string,
  sessionId: string,
  suffix: string,
): { root: string; images: Map<string, Buffer> } {
  const root = tempDir('shots');
  const images = new Map<string, Buffer>();
  const lines = readFileSync(SCREENSHOTS, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const entry = JSON.parse(line);
      entry.sessionId = sessionId;
      entry.uuid = `${sessionId.slice(0, 4)}-${entry.uuid}`;
      if (entry.parentUuid) entry.parentUuid = `${sessionId.slice(0, 4)}-${entry.parentUuid}`;
      const walk = (blocks: unknown): void => {
        if (!Array.isArray(blocks)) return;
        for (const block of blocks as Record<string, unknown>[]) {
          if (block.type === 'text') block.text = `${block.text} ${marker}`;
          if (block.type === 'image') {
            const source = block.source as { data: string };
            const bytes = Buffer.concat([Buffer.from(source.data, 'base64'), Buffer.from(suffix)]);
            source.data = bytes.toString('base64');
            images.set(sha256(bytes), bytes);
          }
          if (block.type === 'tool_result') walk(block.content);
        }
      };
      walk(entry.message?.content);
      return JSON.stringify(entry);
    });
  const dir = path.join(root, 'projects', '-home-dev-webapp');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${sessionId}.jsonl`), `${lines.join('\n')}\n`);
  return { root: path.join(root, 'projects'), images };
}

/** A copy of a committed transcript with `marker` appended to every text, under its own session and project. */
function markedTranscript(marker: string, sessionId: string, cwd: string): string {
  const root = tempDir('marked');
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
  return path.join(root, 'projects');
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: backend.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
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

/**
 * The objects of the user's folder of the visuals bucket, read back through supabase-js (storage-js) as the user
 * (an access token signed like the stand-in's Auth signs them): name, type and bytes.
 */
async function storedObjects(): Promise<{ name: string; mimetype: string; bytes: Buffer }[]> {
  const userId = (await a.json<{ user_id: string }>(['whoami'])).user_id;
  const token = signJwt(
    accessTokenClaims({ id: userId, email: OCTOCAT.email, githubLogin: OCTOCAT.login }),
    backend.jwtSecret,
  );
  const client = createProjectClient({
    url: backend.url,
    anonKey: backend.anonKey,
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    },
  });
  const storage = new VisualStorage(client, userId);
  const out: { name: string; mimetype: string; bytes: Buffer }[] = [];
  for (const object of await storage.list()) {
    const bytes = await storage.downloadObject(object.name);
    expect(bytes).not.toBeNull();
    out.push({
      name: `${userId}/${object.name}`,
      mimetype: object.mimeType ?? '',
      bytes: Buffer.from(bytes!),
    });
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
}

async function localText(machine: Machine): Promise<string> {
  const database = openLocalDatabase({ dir: machine.home });
  try {
    return JSON.stringify(
      database.sqlite
        .prepare(
          `select id, content, tool_calls, cwd from turns union all select id, title, cwd, null from sessions
           union all select id, path, name, null from projects order by 1`,
        )
        .all(),
    );
  } finally {
    await database.close();
  }
}

interface ListedVisual {
  id: string;
  sha256: string;
}

interface GotVisual {
  path: string | null;
  fetched: boolean;
  locked: boolean;
  sha256: string;
}

const keyFile = (machine: Machine) => path.join(machine.home, 'credentials', 'content-key.json');

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

const shotsA = () => screenshotTranscript(MARKER_A, '5c1e0b7a-3f7e-4c2a-9a51-0d6f2b9e4c11', '');
const shotsB = () => screenshotTranscript('marker-of-machine-b', 'b0b0b0b0-3f7e-4c2a-9a51-0d6f2b9e4c22', 'B');

describe('encrypted images and encryption disable', { timeout: 300_000 }, () => {
  it('enable seals the images the project held in the clear; new ones leave sealed under keyed-hash names', async () => {
    await a.loginAs(auth, OCTOCAT);
    await a.ok(['config', 'set', 'sync.content', 'full']);
    const { root, images } = shotsA();
    await a.ok(['import', '--claude-dir', root]);
    await a.ok([
      'import',
      '--claude-dir',
      markedTranscript(MARKER_A, 'a1b2c3d4-0000-4000-8000-00000000000a', '/home/ada/projects/orchard'),
    ]);
    expect((await a.ok(['sync'])).stdout).toContain('Uploaded 2 images');
    const userId = (await a.json<{ user_id: string }>(['whoami'])).user_id;
    expect((await storedObjects()).map((o) => o.name).sort()).toEqual(
      [...images.keys()].map((sha) => `${userId}/${sha}.png`).sort(),
    );

    const enable = await a.ok(['encryption', 'enable'], secretEnv);
    expect(enable.stdout).toContain('2 images the project held unencrypted are stored encrypted now');
    await a.ok(['sync']);
    const sealed = await storedObjects();
    expect(sealed).toHaveLength(2);
    for (const object of sealed) {
      expect(object.name).toMatch(new RegExp(`^${userId}/[0-9a-f]{64}\\.enc$`));
      expect(object.mimetype).toBe('application/octet-stream');
      for (const [sha, bytes] of images) {
        // Neither the hash nor the bytes (nor any long run of them) are in the bucket.
        expect(object.name).not.toContain(sha);
        expect(object.bytes.includes(bytes.subarray(0, 64))).toBe(false);
        expect(object.bytes.includes(bytes.subarray(bytes.length - 64))).toBe(false);
      }
    }
    const dump = await dumpServerText();
    expect(dump).not.toContain(MARKER_A);
    // The visuals rows keep their metrics (hash, type, size): the object names do not repeat them.
    for (const sha of images.keys()) expect(dump).toContain(sha);
  });

  it('a machine with the key opens them byte for byte and sends its own sealed; one without stays locked', async () => {
    await b.loginAs(auth, OCTOCAT);
    await b.ok(['config', 'set', 'sync.content', 'full']);
    await b.ok(['encryption', 'unlock'], secretEnv);
    await b.ok(['sync']);
    const { images } = shotsA();
    const listed = await b.json<ListedVisual[]>(['visuals', 'list']);
    expect(listed).toHaveLength(3);
    for (const visual of listed) {
      const got = await b.json<GotVisual>(['visuals', 'get', visual.id]);
      expect(got.locked).toBe(false);
      expect(readFileSync(got.path!).equals(images.get(visual.sha256)!)).toBe(true);
    }
    const own = shotsB();
    await b.ok(['import', '--claude-dir', own.root]);
    expect((await b.ok(['sync'])).stdout).toContain('Uploaded 2 images');
    const objects = await storedObjects();
    expect(objects).toHaveLength(4);
    expect(objects.every((o) => o.name.endsWith('.enc'))).toBe(true);

    await c.loginAs(auth, OCTOCAT);
    await c.ok(['config', 'set', 'sync.content', 'full']);
    expect((await c.ok(['sync'])).stderr).toContain('Encryption: locked');
    const onC = await c.json<ListedVisual[]>(['visuals', 'list']);
    expect(onC).toHaveLength(6);
    for (const visual of onC) {
      const got = await c.run(['visuals', 'get', visual.id, '--json']);
      expect(got.code, got.stderr).toBe(0);
      expect(JSON.parse(got.stdout)).toMatchObject({ path: null, locked: true, fetched: false });
    }
    const human = await c.ok(['visuals', 'get', onC[0]!.id]);
    expect(human.stdout).toContain('encrypted and this machine has no key');
    // The locked machine's own text and images stay here.
    await c.ok([
      'import',
      '--claude-dir',
      markedTranscript(MARKER_C, 'c1b2c3d4-0000-4000-8000-00000000000c', '/home/cy/projects/walnut'),
    ]);
    await c.ok(['sync']);
    expect(await dumpServerText()).not.toContain(MARKER_C);
    expect(await storedObjects()).toHaveLength(4);
  });

  it('change-passphrase seals every image again under the new key; a machine with the new key opens them', async () => {
    const before = (await storedObjects()).map((o) => o.name);
    const change = await a.ok(['encryption', 'change-passphrase'], {
      AGENTLOGS_PASSPHRASE: PASSPHRASE,
      AGENTLOGS_NEW_PASSPHRASE: NEW_PASSPHRASE,
    });
    expect(change.stdout).toContain('4 images re-encrypted under the new key');
    const after = await storedObjects();
    expect(after).toHaveLength(4);
    for (const object of after) {
      expect(object.name.endsWith('.enc')).toBe(true);
      expect(before).not.toContain(object.name);
    }
    await b.ok(['encryption', 'unlock'], { AGENTLOGS_PASSPHRASE: NEW_PASSPHRASE });
    // Without its files, B fetches every image again, sealed under the new key.
    rmSync(path.join(b.home, 'visuals'), { recursive: true, force: true });
    const images = new Map([...shotsA().images, ...shotsB().images]);
    const fetched = new Set<string>();
    for (const visual of await b.json<ListedVisual[]>(['visuals', 'list'])) {
      const got = await b.json<GotVisual>(['visuals', 'get', visual.id]);
      // Fetched once per image content (two visuals of A show the same screenshot).
      expect(got.fetched).toBe(!fetched.has(visual.sha256));
      fetched.add(visual.sha256);
      expect(readFileSync(got.path!).equals(images.get(visual.sha256)!)).toBe(true);
    }
    expect(fetched.size).toBe(4);
  });

  it('disable is refused without the passphrase and with a wrong one (the old one, after the change)', async () => {
    const none = await a.run(['encryption', 'disable']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')[0]).toBe(
      'agentlogs encryption disable: a passphrase is needed and there is no terminal to ask for it',
    );
    const wrong = await c.run(['encryption', 'disable'], secretEnv);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('wrong passphrase');
    expect(wrong.stderr).not.toContain(PASSPHRASE);
    expect(await query('select 1 from private.content_keys')).toHaveLength(1);
    expect((await a.json<{ account: string }>(['encryption', 'status'])).account).toBe('on');
  });

  it('disable puts text and images back in plain form; the others follow at their next sync and lose nothing', async () => {
    await a.ok(['sync']);
    await b.ok(['sync']);
    const beforeA = await localText(a);
    const beforeB = await localText(b);
    expect(beforeA).toContain(MARKER_A);
    expect(beforeB).toContain('marker-of-machine-b');

    const disable = await a.ok(['encryption', 'disable'], { AGENTLOGS_PASSPHRASE: NEW_PASSPHRASE });
    expect(disable.stdout).toContain('Encryption is off.');
    expect(disable.stdout).toContain('4 images are stored unencrypted');
    expect(disable.stdout + disable.stderr).not.toContain(NEW_PASSPHRASE);
    expect(existsSync(keyFile(a))).toBe(false);
    expect(await query('select 1 from private.content_keys')).toEqual([]);
    const dump = await dumpServerText();
    expect(dump).not.toContain('alenc1:');
    expect(dump).toContain(MARKER_A);
    // B's records were re-uploaded by A in plain form, at A's level (full).
    expect(dump).toContain('marker-of-machine-b');
    const userId = (await a.json<{ user_id: string }>(['whoami'])).user_id;
    const images = new Map([...shotsA().images, ...shotsB().images]);
    const objects = await storedObjects();
    expect(objects.map((o) => o.name).sort()).toEqual(
      [...images.keys()].map((sha) => `${userId}/${sha}.png`).sort(),
    );
    for (const object of objects) {
      expect(object.mimetype).toBe('image/png');
      expect(object.bytes.equals(images.get(path.basename(object.name, '.png'))!)).toBe(true);
    }
    expect((await a.json<{ account: string; machine: string }>(['encryption', 'status'])).account).toBe(
      'off',
    );
    expect(await localText(a)).toBe(beforeA);
    // Disabling again says there is nothing to do.
    const again = await a.run(['encryption', 'disable'], { AGENTLOGS_PASSPHRASE: NEW_PASSPHRASE });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('encryption is off for this account');

    // B learns it at its next sync: its key goes, its text stays.
    const syncB = await b.ok(['sync']);
    expect(syncB.stderr).toContain('Encryption was turned off for this account');
    expect(existsSync(keyFile(b))).toBe(false);
    expect(await localText(b)).toBe(beforeB);

    // C, locked until now, sends its own text at its level and gets everyone's back; its images open.
    const lockedText = await localText(c);
    expect(lockedText).toContain(MARKER_C);
    await c.ok(['sync']);
    const textC = await localText(c);
    expect(textC).toContain(MARKER_C);
    expect(textC).toContain(MARKER_A);
    expect(textC).not.toContain('alenc1:');
    expect(await dumpServerText()).toContain(MARKER_C);
    for (const visual of await c.json<ListedVisual[]>(['visuals', 'list'])) {
      const got = await c.json<GotVisual>(['visuals', 'get', visual.id]);
      expect(readFileSync(got.path!).equals(images.get(visual.sha256)!)).toBe(true);
    }
    await a.ok(['sync']);
    await b.ok(['sync']);
    expect(await localText(a)).toContain(MARKER_C);
    expect(await localText(b)).toBe(await localText(a));
    expect(await localText(c)).toBe(await localText(a));
    for (const by of ['day', 'model', 'machine', 'project']) {
      expect(await c.json(['stats', '--by', by])).toEqual(await a.json(['stats', '--by', by]));
    }
  });
});
