import {
  isRecordLevelSyncError,
  isSyncError,
  type ServerRecord,
  type SyncRecord,
  summarizeRecords,
} from '@agentlogs/sync-core';
import {
  DEFAULT_AUTHENTICATOR_PASSWORD,
  startTestBackend,
  type TestBackend,
  type TestUser,
} from '@agentlogs/test-backend';
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSupabaseRemote, SupabaseRemote } from '../src/remote.js';
import { at, remoteFor, turn, turnPayload } from './fixtures.js';

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});

afterAll(async () => {
  await backend?.close();
});

async function pullAll(
  remote: SupabaseRemote,
  cursor = 0,
  limit = 1000,
): Promise<{ records: ServerRecord[]; cursor: number }> {
  const records: ServerRecord[] = [];
  let next = cursor;
  for (;;) {
    const page = await remote.pull({ cursor: next, limit });
    records.push(...page.records);
    next = page.nextCursor;
    if (!page.hasMore) return { records, cursor: next };
  }
}

async function expectSyncError(promise: Promise<unknown>, code: string, extra: Record<string, unknown> = {}) {
  try {
    await promise;
  } catch (error) {
    expect(isSyncError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code, ...extra });
    return error;
  }
  throw new Error(`expected a ${code} error`);
}

describe('SupabaseRemote over supabase-js and the stand-in', () => {
  let alice: TestUser;
  beforeAll(async () => {
    alice = await backend.createUser({ githubLogin: 'alice' });
  });

  it('round-trips every column of a turn (content with unicode, JSON text, numbers, timestamps)', async () => {
    const remote = remoteFor(backend, alice);
    const content = 'Grüße 👋 — "quoted" \\ back\nslash\ttab ' + 'x'.repeat(5000);
    const record = turn(1, { id: 'roundtrip-1', payload: turnPayload(1, content) });
    const result = await remote.push({ deviceId: 'device-a', records: [record] });
    expect(result.rejected).toEqual([]);
    const { records } = await pullAll(remote);
    const pulled = records.find((r) => r.id === 'roundtrip-1');
    expect(pulled?.payload).toEqual(record.payload);
    expect(pulled).toMatchObject({
      version: 1,
      updatedAt: record.updatedAt,
      deletedAt: null,
      deviceId: 'device-a',
    });
    expect(typeof pulled?.changeSeq).toBe('number');
  });

  it('rejects a duplicated record in one batch (21000) and writes nothing', async () => {
    const bob = await backend.createUser();
    const remote = remoteFor(backend, bob);
    const error = await expectSyncError(
      remote.push({ deviceId: 'device-a', records: [turn(1), turn(1, { version: 2 })] }),
      'protocol',
      { serverCode: '21000', status: 400 },
    );
    expect(String(error)).toMatch(/twice/);
    expect((await pullAll(remote)).records).toEqual([]);
  });

  it('maps bad records to permanent record-level errors with the server code', async () => {
    const carol = await backend.createUser();
    const remote = remoteFor(backend, carol);
    const cases: [SyncRecord, string, string][] = [
      [turn(1, { updatedAt: 'yesterday' }), 'invalid_record', '22007'],
      [turn(2, { version: 0 }), 'invalid_record', '22023'],
      [{ ...turn(3), table: 'no_such_table' }, 'schema_mismatch', '42P01'],
      [turn(4, { payload: { ...turnPayload(4), not_a_column: 1 } }), 'schema_mismatch', '42703'],
      [turn(5, { payload: { ...turnPayload(5), input_tokens: 'many' } }), 'invalid_record', '22P02'],
    ];
    for (const [record, code, serverCode] of cases) {
      const error = await expectSyncError(
        remote.push({ deviceId: 'device-a', records: [turn(9), record] }),
        code,
        {
          serverCode,
          transient: false,
        },
      );
      expect(isRecordLevelSyncError(error), `${serverCode} is record level`).toBe(true);
    }
    expect((await pullAll(remote)).records).toEqual([]);
  });

  it('never resurrects a tombstone with a stale write, and replays a tombstone idempotently', async () => {
    const dave = await backend.createUser();
    const remote = remoteFor(backend, dave);
    await remote.push({ deviceId: 'device-a', records: [turn(1)] });
    const tombstone = turn(1, { version: 2, updatedAt: at(5), deletedAt: at(5), payload: {} });
    const deleted = await remote.push({ deviceId: 'device-b', records: [tombstone] });
    const replay = await remote.push({ deviceId: 'device-b', records: [tombstone] });
    expect(replay.accepted).toEqual(deleted.accepted);
    const stale = await remote.push({
      deviceId: 'device-c',
      records: [turn(1, { updatedAt: at(59), deviceId: 'device-z' })],
    });
    expect(stale.accepted).toEqual([]);
    expect(stale.rejected[0]?.winner).toMatchObject({
      version: 2,
      deletedAt: at(5),
      changeSeq: deleted.accepted[0]?.changeSeq,
    });
    const summary = await remote.summarize(['turns']);
    expect(summary).toEqual([{ table: 'turns', count: 0, deleted: 1, checksum: 0 }]);
  });

  it('pages pulls in change_seq order across tables with hasMore, and summaries match sync-core', async () => {
    const erin = await backend.createUser();
    const remote = remoteFor(backend, erin);
    const records: SyncRecord[] = [
      {
        table: 'projects',
        id: 'p1',
        version: 1,
        updatedAt: at(0),
        deletedAt: null,
        deviceId: 'd',
        payload: { path: '/a', name: 'a' },
      },
      ...Array.from({ length: 24 }, (_, i) => turn(i + 1, { version: 1 + (i % 3) })),
      turn(30, { version: 2, deletedAt: at(30) }),
    ];
    await remote.push({ deviceId: 'd', records });
    const sizes: number[] = [];
    const seen: ServerRecord[] = [];
    let cursor = 0;
    for (;;) {
      const page = await remote.pull({ cursor, limit: 10 });
      sizes.push(page.records.length);
      seen.push(...page.records);
      expect(page.nextCursor).toBe(page.records.at(-1)?.changeSeq ?? cursor);
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(sizes).toEqual([10, 10, 6]);
    const seqs = seen.map((r) => r.changeSeq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seen[0]?.table).toBe('projects');
    expect(await remote.summarize(['projects', 'turns', 'visuals'])).toEqual(
      summarizeRecords(['projects', 'turns', 'visuals'], records),
    );
  });

  it('a push transaction held open across a pull: its rows still arrive later, none skipped', async () => {
    const frank = await backend.createUser();
    const remote = remoteFor(backend, frank);
    await remote.push({ deviceId: 'device-a', records: [turn(1), turn(2)] });
    const first = await pullAll(remote);
    expect(first.records).toHaveLength(2);

    // A second request, as PostgREST runs it, that has pushed but not committed yet.
    const url = new URL(backend.databaseUrl);
    url.username = 'authenticator';
    url.password = DEFAULT_AUTHENTICATOR_PASSWORD;
    const held = new pg.Client({ connectionString: url.toString() });
    await held.connect();
    try {
      await held.query('begin isolation level read committed');
      await held.query(
        `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
        [JSON.stringify({ sub: frank.id, role: 'authenticated' })],
      );
      const heldRecords = [turn(10, { deviceId: 'device-h' }), turn(11, { deviceId: 'device-h' })];
      await held.query('select public.sync_push($1)', [{ deviceId: 'device-h', records: heldRecords }]);

      // Meanwhile: a pull sees nothing new, and another device's push waits for the per-user lock.
      const during = await remote.pull({ cursor: first.cursor, limit: 100 });
      expect(during.records).toEqual([]);
      let otherDone = false;
      const other = remoteFor(backend, frank)
        .push({ deviceId: 'device-o', records: [turn(20, { deviceId: 'device-o' })] })
        .then((result) => {
          otherDone = true;
          return result;
        });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(otherDone).toBe(false);
      expect((await remote.pull({ cursor: first.cursor, limit: 100 })).records).toEqual([]);

      await held.query('commit');
      const otherResult = await other;
      const after = await pullAll(remote, first.cursor);
      expect(after.records.map((r) => r.id)).toEqual(['turn-00010', 'turn-00011', 'turn-00020']);
      expect(after.records.every((r) => r.changeSeq > first.cursor)).toBe(true);
      expect(otherResult.accepted[0]?.changeSeq).toBe(after.records[2]?.changeSeq);
    } finally {
      await held.end();
    }
  });

  it('purges tombstones past the horizon for the service role only, raising oldestRetainedSeq', async () => {
    const grace = await backend.createUser();
    const remote = remoteFor(backend, grace);
    await remote.push({ deviceId: 'd', records: [turn(1), turn(2), turn(3)] });
    const gone = await remote.push({
      deviceId: 'd',
      records: [turn(2, { version: 2, deletedAt: at(9) }), turn(3, { version: 2, deletedAt: at(9) })],
    });
    const service = createClient(backend.url, backend.serviceRoleKey, {
      auth: { persistSession: false },
      ...(typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: WebSocket as never } }),
    });

    // Within the horizon: nothing is purged.
    const none = await service.rpc('purge_tombstones', { horizon: '30 days' });
    expect(none.error).toBeNull();
    expect((await remote.pull({ cursor: 0, limit: 100 })).records).toHaveLength(3);

    // Turn 3's tombstone reached the server 31 days ago; turn 2's is recent.
    await backend.standIn.adminPool.query(
      `update public.turns set synced_at = now() - interval '31 days' where user_id = $1 and id = 'turn-00003'`,
      [grace.id],
    );
    const purged = await service.rpc('purge_tombstones', {});
    expect(purged.error).toBeNull();
    expect(Number(purged.data)).toBeGreaterThanOrEqual(1);
    const page = await remote.pull({ cursor: 0, limit: 100 });
    expect(page.records.map((r) => r.id)).toEqual(['turn-00001', 'turn-00002']);
    expect(page.oldestRetainedSeq).toBe(gone.accepted.find((a) => a.id === 'turn-00003')?.changeSeq);

    // A signed-in user cannot purge.
    const userClient = createClient(backend.url, backend.anonKey, {
      accessToken: async () => grace.accessToken,
      ...(typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: WebSocket as never } }),
    });
    const denied = await userClient.rpc('purge_tombstones', { horizon: '0 seconds' });
    expect(denied.status).toBe(403);
    expect(denied.error?.code).toBe('42501');
  });

  it('registers a machine as a synced machines row and upserts the profile from the GitHub identity', async () => {
    const heidi = await backend.createUser({ githubLogin: 'heidi-gh', email: 'heidi@example.com' });
    const client = createClient(backend.url, backend.anonKey, {
      accessToken: async () => heidi.accessToken,
      ...(typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: WebSocket as never } }),
    });
    const profile = await client.rpc('upsert_profile');
    expect(profile.error).toBeNull();
    expect(profile.data).toMatchObject({
      userId: heidi.id,
      githubLogin: 'heidi-gh',
      email: 'heidi@example.com',
      version: 1,
    });
    expect((await client.rpc('upsert_profile')).data).toMatchObject({ version: 1 });

    const args = {
      machine_id: 'machine-x',
      device_id: 'device-x',
      name: 'laptop',
      hostname: 'laptop.local',
      platform: 'linux',
    };
    const first = await client.rpc('register_machine', args);
    expect(first.error).toBeNull();
    expect(first.data).toMatchObject({
      table: 'machines',
      id: 'machine-x',
      version: 1,
      deviceId: 'device-x',
    });
    const again = await client.rpc('register_machine', { ...args, name: 'renamed' });
    expect(again.data).toMatchObject({ version: 2, payload: { name: 'renamed', hostname: 'laptop.local' } });
    const pulled = await pullAll(remoteFor(backend, heidi));
    expect(pulled.records.map((r) => [r.table, r.id, r.version])).toEqual([['machines', 'machine-x', 2]]);

    const missing = await client.rpc('register_machine', { name: 'no ids' });
    expect(missing.status).toBe(404);
    expect(missing.error?.code).toBe('PGRST202');
  });

  it('maps auth, network, timeout and cancellation failures to sync-core errors', async () => {
    const expired = await backend.createUser({ expiresIn: -600 });
    await expectSyncError(remoteFor(backend, expired).pull({ cursor: 0, limit: 10 }), 'auth_required', {
      serverCode: 'PGRST303',
      status: 401,
    });
    const anonymous = createSupabaseRemote({
      url: backend.url,
      anonKey: backend.anonKey,
      accessToken: async () => null,
    });
    await expectSyncError(anonymous.pull({ cursor: 0, limit: 10 }), 'auth_required', {
      status: 401,
      serverCode: '42501',
    });

    const unreachable = createSupabaseRemote({
      url: 'http://127.0.0.1:9',
      anonKey: backend.anonKey,
      accessToken: async () => alice.accessToken,
    });
    await expectSyncError(unreachable.pull({ cursor: 0, limit: 10 }), 'network', { transient: true });

    const controller = new AbortController();
    controller.abort();
    await expectSyncError(
      remoteFor(backend, alice).pull({ cursor: 0, limit: 10 }, { signal: controller.signal }),
      'aborted',
    );

    // A server that accepts the connection and never answers.
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    try {
      const slow = createSupabaseRemote({
        url: `http://127.0.0.1:${port}`,
        anonKey: backend.anonKey,
        accessToken: async () => alice.accessToken,
        timeoutMs: 200,
      });
      await expectSyncError(slow.pull({ cursor: 0, limit: 10 }), 'timeout', { transient: true });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }

    await expectSyncError(remoteFor(backend, alice).pull({ cursor: -1, limit: 10 }), 'invalid_record', {
      serverCode: '22023',
    });
  });

  it('sends a sync call once more when the server closed the connection before answering', async () => {
    const carol = await backend.createUser();
    // In front of the stand-in: the first sync_push has its connection closed before any answer (as when a
    // kept-alive connection times out on the server just as the request goes out); the rest pass through.
    const { createServer } = await import('node:http');
    let closed = 0;
    let pushes = 0;
    const front = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        if (req.url?.includes('sync_push')) pushes += 1;
        if (req.url?.includes('sync_push') && closed === 0) {
          closed += 1;
          req.socket.destroy();
          return;
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k),
          ),
        ) as Record<string, string>;
        const answer = await fetch(`${backend.url}${req.url}`, {
          method: req.method,
          headers,
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
    try {
      const remote = createSupabaseRemote({
        url: `http://127.0.0.1:${(front.address() as { port: number }).port}`,
        anonKey: backend.anonKey,
        accessToken: async () => carol.accessToken,
      });
      const result = await remote.push({ deviceId: 'd', records: [turn(1), turn(2)] });
      expect(result.accepted).toHaveLength(2);
      expect({ closed, pushes }).toEqual({ closed: 1, pushes: 2 });
    } finally {
      front.closeAllConnections();
      front.close();
    }
  });

  it('accepts a SupabaseClient built elsewhere (the CLI passes its signed-in client)', async () => {
    const ivan = await backend.createUser();
    const client = createClient(backend.url, backend.anonKey, {
      global: { headers: { Authorization: `Bearer ${ivan.accessToken}` } },
      auth: { persistSession: false, autoRefreshToken: false },
      ...(typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: WebSocket as never } }),
    });
    const remote = new SupabaseRemote(client);
    const result = await remote.push({ deviceId: 'd', records: [turn(1)] });
    expect(result.accepted).toHaveLength(1);
    expect(await remote.push({ deviceId: 'd', records: [] })).toEqual({ accepted: [], rejected: [] });
  });
});
