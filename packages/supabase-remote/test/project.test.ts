import { isSyncError } from '@agentlogs/sync-core';
import { startTestBackend, type TestBackend, type TestUser } from '@agentlogs/test-backend';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProjectRpc } from '../src/project.js';
import { remoteFor, turn } from './fixtures.js';

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});

afterAll(async () => {
  await backend?.close();
});

/** The project's functions for `user`, on a supabase-js client that sends the user's access token. */
function rpcFor(user: TestUser | null, options: { url?: string; timeoutMs?: number } = {}): ProjectRpc {
  const client = createClient(options.url ?? backend.url, backend.anonKey, {
    accessToken: async () => user?.accessToken ?? null,
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
  return new ProjectRpc(client, { timeoutMs: options.timeoutMs });
}

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    expect(isSyncError(error), String(error)).toBe(true);
    return error as Record<string, unknown>;
  }
  throw new Error('expected a sync error');
}

describe('ProjectRpc over supabase-js and the stand-in', () => {
  it('registers the profile and the machine after a login; a second registration is a new version', async () => {
    const carol = await backend.createUser({ githubLogin: 'carol', email: 'carol@example.com' });
    const rpc = rpcFor(carol);
    const profile = await rpc.upsertProfile();
    expect(profile).toMatchObject({ userId: carol.id, githubLogin: 'carol', email: 'carol@example.com' });
    expect(profile.version).toBeGreaterThanOrEqual(1);
    expect(profile.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const machine = {
      machineId: 'machine-carol',
      deviceId: 'device-carol',
      name: 'laptop',
      platform: 'linux',
    };
    const first = await rpc.registerMachine(machine);
    expect(first).toMatchObject({ machineId: 'machine-carol', version: 1 });
    const second = await rpc.registerMachine({ ...machine, name: 'work laptop' });
    expect(second.version).toBe(2);
    expect(second.changeSeq).toBeGreaterThan(first.changeSeq);

    const listed = await rpc.machines();
    expect(listed).toEqual([
      {
        machineId: 'machine-carol',
        name: 'work laptop',
        hostname: null,
        platform: 'linux',
        lastSyncAt: null,
        lastOutcome: null,
      },
    ]);
  });

  it('previews a push and a pull without writing, and records a finished sync', async () => {
    const dave = await backend.createUser();
    const rpc = rpcFor(dave);
    const remote = remoteFor(backend, dave);
    await remote.push({ deviceId: 'device-a', records: [turn(1), turn(2, { version: 3 })] });

    const records = [turn(1), turn(2, { version: 4 }), turn(3), turn(4)];
    const preview = await rpc.pushPreview(records, 'device-a');
    expect(preview).toEqual([{ table: 'turns', new: 2, update: 1, same: 1, serverWins: 0 }]);
    const older = await rpc.pushPreview([turn(2, { version: 2 })], 'device-a');
    expect(older).toEqual([{ table: 'turns', new: 0, update: 0, same: 0, serverWins: 1 }]);
    expect(await rpc.pushPreview([], 'device-a')).toEqual([]);

    const pull = await rpc.pullPreview(0);
    expect(pull.fullResync).toBe(false);
    expect(pull.cursor).toBe(0);
    expect(pull.lastSeq).toBeGreaterThanOrEqual(2);
    expect(pull.tables.find((t) => t.table === 'turns')).toEqual({ table: 'turns', live: 2, deleted: 0 });
    // Nothing was written: the server still holds two turns.
    expect((await remote.pull({ cursor: 0, limit: 10 })).records).toHaveLength(2);
    const caughtUp = await rpc.pullPreview(pull.lastSeq);
    expect(caughtUp.tables.reduce((n, t) => n + t.live + t.deleted, 0)).toBe(0);

    await rpc.machineSeen('machine-dave', { operation: 'sync', pushed: 2, pulled: 0 });
    const [seen] = await rpc.machines();
    expect(seen?.machineId).toBe('machine-dave');
    expect(seen?.lastOutcome).toMatchObject({ operation: 'sync', pushed: 2, pulled: 0 });
    expect(Date.parse(seen?.lastSyncAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('classifies failures like the Remote: signed out, unreachable, cancelled, timed out', async () => {
    expect(await failure(rpcFor(null).machines())).toMatchObject({ code: 'auth_required', status: 401 });
    expect(await failure(rpcFor(null).upsertProfile())).toMatchObject({ code: 'auth_required' });

    const erin = await backend.createUser();
    expect(await failure(rpcFor(erin, { url: 'http://127.0.0.1:9' }).pullPreview(0))).toMatchObject({
      code: 'network',
      transient: true,
    });

    const controller = new AbortController();
    controller.abort();
    expect(await failure(rpcFor(erin).machines({ signal: controller.signal }))).toMatchObject({
      code: 'aborted',
    });

    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const slow = rpcFor(erin, { url, timeoutMs: 60_000 });
      const timedOut = await failure(slow.machines({ timeoutMs: 200 }));
      expect(timedOut).toMatchObject({ code: 'timeout', transient: true });
      expect(String(timedOut.message)).toContain('sync_machines');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }

    expect(
      await failure(rpcFor(erin).registerMachine({ machineId: '', deviceId: 'd', name: 'x' })),
    ).toMatchObject({ code: 'invalid_record', serverCode: '22023' });
  });

  it('stores the content key parameters by compare-and-set; PT409 when they changed meanwhile', async () => {
    const dora = await backend.createUser({ githubLogin: 'dora' });
    const rpc = rpcFor(dora);
    await rpc.upsertProfile();
    expect(await rpc.contentKey()).toBeNull();
    const kdf = { algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1, salt: 'c2FsdHNhbHRzYWx0c2FsdA' };
    const first = `alkc1:${'A'.repeat(43)}`;
    const second = `alkc1:${'B'.repeat(43)}`;
    expect(await rpc.setContentKey(kdf, first, null)).toMatchObject({ kdf, keyCheck: first, epoch: 1 });
    expect(await rpc.contentKey()).toMatchObject({ kdf, keyCheck: first, epoch: 1 });
    expect((await failure(rpc.setContentKey(kdf, second, null))).serverCode).toBe('PT409');
    expect((await failure(rpc.setContentKey(kdf, second, second))).serverCode).toBe('PT409');
    expect(await rpc.setContentKey({ ...kdf, salt: 'bmV3c2FsdG5ld3NhbHRuZXc' }, second, first)).toMatchObject(
      {
        keyCheck: second,
        epoch: 2,
      },
    );
    // Another user sees none of it.
    expect(await rpcFor(await backend.createUser({ githubLogin: 'eve' })).contentKey()).toBeNull();
    // Turning encryption off takes the current key check only; then it is off, and off again is PT409.
    expect((await failure(rpc.clearContentKey(first))).serverCode).toBe('PT409');
    await rpc.clearContentKey(second);
    expect(await rpc.contentKey()).toBeNull();
    expect((await failure(rpc.clearContentKey(second))).serverCode).toBe('PT409');
  });
});
