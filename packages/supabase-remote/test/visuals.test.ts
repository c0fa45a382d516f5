import { createHash, randomBytes } from 'node:crypto';
import { isSyncError } from '@agentlogs/sync-core';
import { startTestBackend, type TestBackend, type TestUser } from '@agentlogs/test-backend';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deleteCloudData } from '../src/cloud-data.js';
import { ProjectRpc } from '../src/project.js';
import { VisualStorage, visualObjectName } from '../src/visuals.js';
import { remoteFor, turn, turnPayload } from './fixtures.js';

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});

afterAll(async () => {
  await backend?.close();
});

function clientFor(user: TestUser | null): SupabaseClient {
  return createClient(backend.url, backend.anonKey, {
    accessToken: async () => user?.accessToken ?? null,
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}

/** A small PNG-looking payload with random bytes: what matters is that it comes back byte for byte. */
function image(size = 4096): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(size)]);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: backend.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('visuals in Storage through supabase-js and the stand-in', () => {
  it('stores an image once in the owner folder and gives back the same bytes', async () => {
    const owner = await backend.createUser({ githubLogin: 'visual-owner' });
    const storage = new VisualStorage(clientFor(owner), owner.id);
    const { bytes, sha256 } = image();

    expect(await storage.upload(sha256, 'png', bytes, 'image/png')).toBe('uploaded');
    expect(await storage.upload(sha256, 'png', bytes, 'image/png')).toBe('present');

    const back = await storage.download(sha256, 'png');
    expect(back).not.toBeNull();
    expect(Buffer.from(back!).equals(bytes)).toBe(true);

    const rows = await sql<{ name: string; owner_id: string; size: string; mimetype: string }>(
      `select name, owner_id, metadata->>'size' as size, metadata->>'mimetype' as mimetype
         from storage.objects where bucket_id = 'visuals' and name = $1`,
      [visualObjectName(owner.id, sha256, 'png')],
    );
    expect(rows).toEqual([
      {
        name: `${owner.id}/${sha256}.png`,
        owner_id: owner.id,
        size: String(bytes.length),
        mimetype: 'image/png',
      },
    ]);

    expect(await storage.list()).toEqual([
      { name: `${sha256}.png`, bytes: bytes.length, mimeType: 'image/png' },
    ]);
    expect(await storage.download('0'.repeat(64), 'png')).toBeNull();

    expect(await storage.remove([`${sha256}.png`])).toBe(1);
    expect(await storage.download(sha256, 'png')).toBeNull();
    expect(await storage.list()).toEqual([]);
  });

  it('a stranger can neither read, list, overwrite, delete nor write into the owner folder', async () => {
    const owner = await backend.createUser({ githubLogin: 'visual-owner-2' });
    const stranger = await backend.createUser({ githubLogin: 'visual-stranger' });
    const { bytes, sha256 } = image();
    await new VisualStorage(clientFor(owner), owner.id).upload(sha256, 'png', bytes, 'image/png');

    // The stranger aims at the owner's folder.
    const intruder = new VisualStorage(clientFor(stranger), owner.id);
    expect(await intruder.download(sha256, 'png')).toBeNull();
    expect(await intruder.list()).toEqual([]);
    expect(await intruder.remove([`${sha256}.png`])).toBe(0);
    const other = image();
    const refused = await intruder.upload(other.sha256, 'png', other.bytes, 'image/png').catch((e) => e);
    expect(isSyncError(refused)).toBe(true);
    expect(refused).toMatchObject({ status: 403 });

    // Without a sign-in nothing is readable either.
    expect(await new VisualStorage(clientFor(null), owner.id).download(sha256, 'png')).toBeNull();

    // The owner's object is untouched.
    const back = await new VisualStorage(clientFor(owner), owner.id).download(sha256, 'png');
    expect(Buffer.from(back!).equals(bytes)).toBe(true);
  });

  it("deleting a user's cloud data empties their folder of the bucket and leaves others' images", async () => {
    const leaving = await backend.createUser({ githubLogin: 'visual-leaving' });
    const staying = await backend.createUser({ githubLogin: 'visual-staying' });
    const mine = [image(), image()];
    for (const { bytes, sha256 } of mine)
      await new VisualStorage(clientFor(leaving), leaving.id).upload(sha256, 'png', bytes, 'image/png');
    const theirs = image();
    await new VisualStorage(clientFor(staying), staying.id).upload(
      theirs.sha256,
      'png',
      theirs.bytes,
      'image/png',
    );

    const deleted = await deleteCloudData(clientFor(leaving), leaving.id);
    expect(deleted.objects).toEqual({ visuals: 2 });
    expect(await new VisualStorage(clientFor(leaving), leaving.id).list()).toEqual([]);
    const kept = await new VisualStorage(clientFor(staying), staying.id).download(theirs.sha256, 'png');
    expect(kept && Buffer.from(kept).equals(theirs.bytes)).toBe(true);
  });

  it('an account the project does not allow cannot store images, even in its own folder', async () => {
    const outsider = await backend.createUser({ githubLogin: 'visual-outsider', allowed: false });
    const { bytes, sha256 } = image();
    const refused = await new VisualStorage(clientFor(outsider), outsider.id)
      .upload(sha256, 'png', bytes, 'image/png')
      .catch((e) => e);
    expect(refused).toMatchObject({ status: 403 });
    expect(await sql(`select 1 from storage.objects where name like $1`, [`${outsider.id}/%`])).toEqual([]);
  });

  it('the bucket refuses what is not an image', async () => {
    const owner = await backend.createUser({ githubLogin: 'visual-owner-3' });
    const refused = await new VisualStorage(clientFor(owner), owner.id)
      .upload('a'.repeat(64), 'txt', Buffer.from('hello'), 'text/plain')
      .catch((e) => e);
    expect(isSyncError(refused)).toBe(true);
    expect(refused).toMatchObject({ status: 415 });
  });

  it('takes a sealed image as an opaque object by file name, readable by its owner only', async () => {
    const owner = await backend.createUser({ githubLogin: 'visual-owner-4' });
    const stranger = await backend.createUser({ githubLogin: 'visual-stranger-4' });
    const storage = new VisualStorage(clientFor(owner), owner.id);
    const sealed = Buffer.concat([Buffer.from('ALVIS1'), randomBytes(2048)]);
    const name = `${'c'.repeat(64)}.enc`;
    expect(await storage.uploadObject(name, sealed, 'application/octet-stream')).toBe('uploaded');
    expect(await storage.uploadObject(name, sealed, 'application/octet-stream')).toBe('present');
    expect(Buffer.from((await storage.downloadObject(name))!).equals(sealed)).toBe(true);
    expect(await storage.list()).toEqual([
      { name, bytes: sealed.length, mimeType: 'application/octet-stream' },
    ]);
    expect(await new VisualStorage(clientFor(stranger), owner.id).downloadObject(name)).toBeNull();
    expect(await storage.downloadObject(`${'d'.repeat(64)}.enc`)).toBeNull();
  });
});

describe('sync_footprint and sync_prune', () => {
  it('the footprint equals what the database measures for that user, tables and storage', async () => {
    const user = await backend.createUser({ githubLogin: 'footprint-user' });
    const other = await backend.createUser({ githubLogin: 'footprint-other' });
    await remoteFor(backend, user).push({ deviceId: 'd1', records: [turn(1), turn(2), turn(3)] });
    await remoteFor(backend, other).push({ deviceId: 'd2', records: [turn(1)] });
    const { bytes, sha256 } = image(10_000);
    await new VisualStorage(clientFor(user), user.id).upload(sha256, 'png', bytes, 'image/png');

    const footprint = await new ProjectRpc(clientFor(user)).footprint();
    const measured = await sql<{ rows: string; bytes: string }>(
      'select count(*) as rows, coalesce(sum(pg_column_size(t.*)), 0) as bytes from public.turns t where user_id = $1',
      [user.id],
    );
    expect(footprint.tables.find((t) => t.table === 'turns')).toEqual({
      table: 'turns',
      rows: 3,
      bytes: Number(measured[0]!.bytes),
    });
    expect(Number(measured[0]!.bytes)).toBeGreaterThan(0);
    expect(footprint.tables.map((t) => t.table)).toEqual([
      'user_profiles',
      'machines',
      'projects',
      'sessions',
      'cognitive_commits',
      'turns',
      'visuals',
    ]);
    expect(footprint.storage).toEqual({ objects: 1, bytes: bytes.length });
    const otherFootprint = await new ProjectRpc(clientFor(other)).footprint();
    expect(otherFootprint.tables.find((t) => t.table === 'turns')?.rows).toBe(1);
    expect(otherFootprint.storage).toEqual({ objects: 0, bytes: 0 });
  });

  it('prune empties old text, keeps metrics, version and change_seq, and marks the columns withheld', async () => {
    const user = await backend.createUser({ githubLogin: 'prune-user' });
    const old = turn(1, { payload: { ...turnPayload(1), timestamp: '2020-01-01T00:00:00.000Z' } });
    const recent = turn(2);
    await remoteFor(backend, user).push({ deviceId: 'd1', records: [old, recent] });
    const before = await sql<{ id: string; version: number; change_seq: string; input_tokens: string }>(
      'select id, version, change_seq, input_tokens from public.turns where user_id = $1 order by id',
      [user.id],
    );
    const result = await new ProjectRpc(clientFor(user)).prune('2021-01-01T00:00:00.000Z');
    expect(result.turns).toBe(1);
    const after = await sql<{
      id: string;
      version: number;
      change_seq: string;
      input_tokens: string;
      content: string | null;
      content_state: string | null;
    }>(
      'select id, version, change_seq, input_tokens, content, content_state from public.turns where user_id = $1 order by id',
      [user.id],
    );
    expect(
      after.map(({ id, version, change_seq, input_tokens }) => ({ id, version, change_seq, input_tokens })),
    ).toEqual(before);
    const pruned = after.find((t) => t.id === old.id)!;
    expect(pruned.content).toBeNull();
    expect(JSON.parse(pruned.content_state!)).toMatchObject({ content: 'withheld', tool_calls: 'withheld' });
    expect(after.find((t) => t.id === recent.id)!.content).not.toBeNull();
  });
});
