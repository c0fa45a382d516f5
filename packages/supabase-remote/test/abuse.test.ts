/**
 * The server under abuse, through supabase-js and the stand-in with the real migrations: who may write, the
 * caps of private.limits, and the bounds on versions and times (docs/sync-protocol.md, "Limits and bounds").
 */
import { isSyncError, type SyncRecord, utf8Length } from '@agentlogs/sync-core';
import { startTestBackend, type TestBackend, type TestUser } from '@agentlogs/test-backend';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProjectRpc } from '../src/project.js';
import { remoteFor, turn, turnPayload } from './fixtures.js';

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});

afterAll(async () => {
  await backend?.close();
});

function clientFor(user: TestUser) {
  return createClient(backend.url, backend.anonKey, {
    accessToken: async () => user.accessToken,
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}

function rpcFor(user: TestUser): ProjectRpc {
  return new ProjectRpc(clientFor(user));
}

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown> & { message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isSyncError(error), String(error)).toBe(true);
    return error as Record<string, unknown> & { message: string };
  }
  throw new Error('expected a sync error');
}

async function rowsOf(userId: string): Promise<number> {
  const { rows } = await backend.standIn.adminPool.query<{ n: number }>(
    `select (select count(*) from public.turns where user_id = $1)
          + (select count(*) from public.machines where user_id = $1)
          + (select count(*) from public.user_profiles where user_id = $1)
          + (select count(*) from private.machine_syncs where user_id = $1) as n`,
    [userId],
  );
  return Number(rows[0]?.n);
}

describe('only allowed accounts write', () => {
  it('the first account to register owns the project; a stranger is refused and writes nothing', async () => {
    const owner = await backend.createUser({ githubLogin: 'Owner-One', allowed: false });
    const stranger = await backend.createUser({ githubLogin: 'stranger', allowed: false });
    expect((await rpcFor(owner).upsertProfile()).githubLogin).toBe('Owner-One');
    expect(await rpcFor(owner).accessList()).toEqual([
      expect.objectContaining({ githubLogin: 'owner-one', role: 'owner', signedIn: true }),
    ]);

    const rpc = rpcFor(stranger);
    const refusals = [
      await failure(rpc.upsertProfile()),
      await failure(rpc.registerMachine({ machineId: 'm-x', deviceId: 'd-x', name: 'x' })),
      await failure(rpc.machineSeen('m-x', { ok: true })),
      await failure(remoteFor(backend, stranger).push({ deviceId: 'd-x', records: [turn(1)] })),
      await failure(rpc.accessAllow('stranger')),
    ];
    for (const error of refusals) {
      expect(error).toMatchObject({
        code: 'not_allowed',
        serverCode: 'PT403',
        status: 403,
        transient: false,
      });
      expect(error.recordLevel).toBe(false);
    }
    expect(refusals[0]?.message).toContain('agentlogs access allow stranger');
    expect(await rowsOf(stranger.id)).toBe(0);

    // The owner allows the login: the account may write; denied again, it may not.
    expect(await rpcFor(owner).accessAllow('Stranger')).toMatchObject({
      githubLogin: 'stranger',
      role: 'member',
    });
    await remoteFor(backend, stranger).push({ deviceId: 'd-x', records: [turn(1)] });
    expect(await rowsOf(stranger.id)).toBe(1);
    expect((await rpcFor(owner).accessList()).map((e) => [e.githubLogin, e.signedIn])).toEqual([
      ['owner-one', true],
      ['stranger', true],
    ]);
    // A member manages nobody.
    expect(await failure(rpcFor(stranger).accessAllow('someone'))).toMatchObject({ code: 'not_allowed' });
    expect(await rpcFor(owner).accessDeny('stranger')).toBe(true);
    expect(await rpcFor(owner).accessDeny('stranger')).toBe(false);
    expect(
      await failure(remoteFor(backend, stranger).push({ deviceId: 'd-x', records: [turn(2)] })),
    ).toMatchObject({ code: 'not_allowed' });
    expect(await rowsOf(stranger.id)).toBe(1);
    expect(await failure(rpcFor(owner).accessDeny('owner-one'))).toMatchObject({ serverCode: '22023' });
    expect(await failure(rpcFor(owner).accessAllow('not a login'))).toMatchObject({ serverCode: '22023' });

    // A second account never takes ownership over.
    const late = await backend.createUser({ githubLogin: 'late', allowed: false });
    expect(await failure(rpcFor(late).upsertProfile())).toMatchObject({ code: 'not_allowed' });
  });
});

describe('byte and row caps', () => {
  it('sync_limits returns the row of private.limits', async () => {
    const user = await backend.createUser();
    const limits = await rpcFor(user).limits();
    const { rows } = await backend.standIn.adminPool.query('select * from private.limits');
    expect(limits).toMatchObject({
      maxRecordBytes: rows[0].max_record_bytes,
      maxBatchBytes: rows[0].max_batch_bytes,
      pullPageBytes: rows[0].pull_page_bytes,
      maxArrayItems: rows[0].max_array_items,
      maxVersionStep: rows[0].max_version_step,
      minTime: '2000-01-01T00:00:00.000Z',
    });
  });

  it('refuses a 100 MB content quickly, naming the cap, and stores nothing', async () => {
    const user = await backend.createUser();
    const remote = remoteFor(backend, user);
    const started = Date.now();
    const huge = turn(1, { payload: turnPayload(1, 'x'.repeat(100 * 1024 * 1024)) });
    let error = await failure(remote.push({ deviceId: 'd', records: [huge] }));
    // Encoding 100 MB takes seconds: the pooled keep-alive socket may be closed by the stand-in meanwhile
    // (its keep-alive timeout is 5 s), which fetch reports as a network failure. Once more on a new socket.
    if (error.code === 'network') error = await failure(remote.push({ deviceId: 'd', records: [huge] }));
    // Refused from the request's Content-Length (db-pre-request), not after a statement timeout (57014).
    expect(error).toMatchObject({ code: 'limit_exceeded', serverCode: '54000', recordLevel: true });
    expect(error.message).toContain('max_batch_bytes');
    expect(Date.now() - started).toBeLessThan(30_000);

    // Under the batch cap, over the record cap: the record cap is named.
    const big = turn(2, { payload: turnPayload(2, 'y'.repeat(5 * 1024 * 1024)) });
    const second = await failure(remote.push({ deviceId: 'd', records: [turn(3), big] }));
    expect(second).toMatchObject({ code: 'limit_exceeded', serverCode: '54000' });
    expect(second.message).toContain('max_record_bytes');
    expect(second.message).toContain('turns/turn-00002');
    expect(await rowsOf(user.id)).toBe(0);
  });

  it('refuses an oversized outcome, machine name, id and table list', async () => {
    const user = await backend.createUser();
    const rpc = rpcFor(user);
    const cases: [() => Promise<unknown>, string][] = [
      // 20 MB: refused from the request's size before the outcome is parsed.
      [() => rpc.machineSeen('m-1', { note: 'z'.repeat(20 * 1024 * 1024) }), 'max_batch_bytes'],
      [() => rpc.machineSeen('m-1', { note: 'z'.repeat(1024 * 1024) }), 'max_outcome_bytes'],
      [
        () => rpc.registerMachine({ machineId: 'm-1', deviceId: 'd-1', name: 'n'.repeat(10 * 1024 * 1024) }),
        'max_name_chars',
      ],
      [
        () => rpc.registerMachine({ machineId: 'i'.repeat(5000), deviceId: 'd-1', name: 'ok' }),
        'max_id_chars',
      ],
      [
        () => remoteFor(backend, user).push({ deviceId: 'd', records: [turn(1, { id: 'i'.repeat(5000) })] }),
        'max_id_chars',
      ],
      [
        () => remoteFor(backend, user).summarize(Array.from({ length: 20_000 }, (_, i) => `t${i}`)),
        'max_array_items',
      ],
    ];
    for (const [call, cap] of cases) {
      const started = Date.now();
      const error = await failure(call());
      expect(error, cap).toMatchObject({ code: 'limit_exceeded', serverCode: '54000' });
      expect(error.message).toContain(cap);
      expect(Date.now() - started, cap).toBeLessThan(5000);
    }
    expect(await rowsOf(user.id)).toBe(0);
    // The caps leave ordinary calls alone.
    await rpc.registerMachine({ machineId: 'm-1', deviceId: 'd-1', name: 'laptop' });
    await rpc.machineSeen('m-1', { ok: true });
    expect(await remoteFor(backend, user).summarize(['turns'])).toHaveLength(1);
  });

  it('bounds a pull page in bytes as well as rows (at least one record)', async () => {
    const { adminPool } = backend.standIn;
    const user = await backend.createUser();
    const remote = remoteFor(backend, user);
    const records: SyncRecord[] = [];
    for (let i = 1; i <= 12; i++) records.push(turn(i, { payload: turnPayload(i, 'p'.repeat(300_000)) }));
    for (let i = 0; i < records.length; i += 3)
      await remote.push({ deviceId: 'd', records: records.slice(i, i + 3) });
    const { rows } = await adminPool.query<{ cap: number }>(
      'select pull_page_bytes as cap from private.limits',
    );
    const cap = 1_000_000;
    await adminPool.query('update private.limits set pull_page_bytes = $1', [cap]);
    try {
      let cursor = 0;
      const seen: string[] = [];
      for (let pages = 0; pages < 20; pages++) {
        const page = await remote.pull({ cursor, limit: 1000 });
        const sizes = page.records.map((r) => utf8Length(JSON.stringify(r)));
        expect(page.records.length).toBeGreaterThan(0);
        // Every record but the last starts below the cap.
        expect(sizes.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(cap);
        expect(page.records.length).toBeLessThan(12);
        seen.push(...page.records.map((r) => r.id));
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      expect(seen).toEqual(records.map((r) => r.id));
      // One record above the cap still comes, alone.
      await adminPool.query('update private.limits set pull_page_bytes = 1000');
      const single = await remote.pull({ cursor: 0, limit: 1000 });
      expect(single.records).toHaveLength(1);
      expect(single.hasMore).toBe(true);
    } finally {
      await adminPool.query('update private.limits set pull_page_bytes = $1', [rows[0]?.cap]);
    }
  });
});

describe('bounds on versions and times', () => {
  it('refuses a version jump, a version near the int4 end, and times far from the server clock', async () => {
    const user = await backend.createUser();
    const remote = remoteFor(backend, user);
    const now = new Date().toISOString();
    await remote.push({ deviceId: 'd', records: [turn(1, { updatedAt: now })] });
    const cases: [SyncRecord, string, string][] = [
      [turn(1, { version: 10_002, updatedAt: now }), '22003', 'max_version_step'],
      [turn(2, { version: 2_147_483_647, updatedAt: now }), '22003', 'max_version'],
      [turn(3, { updatedAt: '9999-12-31T23:59:59.000Z' }), '22008', 'outside'],
      [turn(4, { updatedAt: '0001-01-01T00:00:00.000Z' }), '22008', 'outside'],
      [turn(5, { deletedAt: '9999-01-01T00:00:00Z', updatedAt: now }), '22008', 'outside'],
      [
        turn(6, { updatedAt: now, payload: { ...turnPayload(6), timestamp: 'infinity' } }),
        '22007',
        'timestamp',
      ],
      [turn(7, { updatedAt: now, payload: { ...turnPayload(7), timestamp: 'epoch' } }), '22007', 'timestamp'],
      [
        turn(8, { updatedAt: now, payload: { ...turnPayload(8), timestamp: '9999-01-01T00:00:00Z' } }),
        '22008',
        'timestamp',
      ],
    ];
    for (const [record, serverCode, words] of cases) {
      const error = await failure(remote.push({ deviceId: 'd', records: [record] }));
      expect(error, `${record.id} ${serverCode}`).toMatchObject({
        code: 'invalid_record',
        serverCode,
        recordLevel: true,
      });
      expect(error.message).toContain(words);
    }
    // A bounded step is fine; so is a time a little in the future (clock skew).
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const ok = await remote.push({ deviceId: 'd', records: [turn(1, { version: 10_001, updatedAt: soon })] });
    expect(ok.accepted).toHaveLength(1);
  });
});
