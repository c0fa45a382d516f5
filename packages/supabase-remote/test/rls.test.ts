import type { SyncRecord } from '@agentlogs/sync-core';
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
import { at, remoteFor, turn } from './fixtures.js';

// A second user and anon can neither read nor change the first user's rows, through any table or RPC.
let backend: TestBackend;
let alice: TestUser;
let mallory: TestUser;
let authenticator: pg.Client;

const TABLES = ['user_profiles', 'machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals'];
const realtime =
  typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: WebSocket as never } };

function record(table: string, id: string): SyncRecord {
  return { table, id, version: 1, updatedAt: at(1), deletedAt: null, deviceId: 'alice-laptop', payload: {} };
}

beforeAll(async () => {
  backend = await startTestBackend();
  alice = await backend.createUser({ githubLogin: 'alice' });
  mallory = await backend.createUser({ githubLogin: 'mallory' });
  const aliceClient = createClient(backend.url, backend.anonKey, {
    accessToken: async () => alice.accessToken,
    ...realtime,
  });
  expect((await aliceClient.rpc('upsert_profile')).error).toBeNull();
  expect(
    (
      await aliceClient.rpc('register_machine', {
        machine_id: 'm-alice',
        device_id: 'alice-laptop',
        name: 'a',
      })
    ).error,
  ).toBeNull();
  await remoteFor(backend, alice).push({
    deviceId: 'alice-laptop',
    records: [
      record('projects', 'shared-id'),
      record('sessions', 'shared-id'),
      record('cognitive_commits', 'shared-id'),
      turn(1, { id: 'shared-id' }),
      record('visuals', 'shared-id'),
    ],
  });
  const url = new URL(backend.databaseUrl);
  url.username = 'authenticator';
  url.password = DEFAULT_AUTHENTICATOR_PASSWORD;
  authenticator = new pg.Client({ connectionString: url.toString() });
  await authenticator.connect();
});

afterAll(async () => {
  await authenticator?.end();
  await backend?.close();
});

/** Runs `sql` as PostgREST would for a request with this role and these claims, then rolls back. */
async function asRole(
  role: string,
  claims: Record<string, unknown>,
  sql: string,
): Promise<{ rows: unknown[]; code?: string }> {
  await authenticator.query('begin');
  try {
    await authenticator.query(
      `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`,
      [role, JSON.stringify(claims)],
    );
    const result = await authenticator.query(sql);
    return { rows: result.rows };
  } catch (error) {
    return { rows: [], code: (error as { code?: string }).code };
  } finally {
    await authenticator.query('rollback');
  }
}

const malloryClaims = () => ({ sub: mallory.id, role: 'authenticated' });

describe('row-level security and grants', () => {
  it('alice sees her own rows in every table', async () => {
    for (const table of TABLES) {
      const { rows, code } = await asRole(
        'authenticated',
        { sub: alice.id, role: 'authenticated' },
        `select id from public.${table}`,
      );
      expect(code, table).toBeUndefined();
      expect(rows.length, table).toBe(1);
    }
  });

  it('a second user reads none of alice’s rows from any table', async () => {
    for (const table of [...TABLES, 'private.sync_state']) {
      const name = table.includes('.') ? table : `public.${table}`;
      const { rows, code } = await asRole('authenticated', malloryClaims(), `select * from ${name}`);
      expect(code, table).toBeUndefined();
      expect(rows, table).toEqual([]);
    }
  });

  it('a second user can insert, update or delete nothing in any table', async () => {
    for (const table of TABLES) {
      for (const sql of [
        `update public.${table} set version = version + 100`,
        `delete from public.${table}`,
        `insert into public.${table} (user_id, id) values ('${alice.id}', 'x')`,
      ]) {
        const { code } = await asRole('authenticated', malloryClaims(), sql);
        expect(code, `${table}: ${sql}`).toBe('42501');
      }
    }
  });

  it('anon can read or change no table and call no function', async () => {
    for (const table of [...TABLES, 'private.sync_state']) {
      const name = table.includes('.') ? table : `public.${table}`;
      expect((await asRole('anon', { role: 'anon' }, `select * from ${name}`)).code, table).toBe('42501');
      expect((await asRole('anon', { role: 'anon' }, `delete from ${name}`)).code, table).toBe('42501');
    }
    const anon = createClient(backend.url, backend.anonKey, { ...realtime });
    const calls: [string, Record<string, unknown>][] = [
      ['sync_pull', { cursor: 0, lim: 10 }],
      ['sync_push', { batch: { deviceId: 'x', records: [record('projects', 'shared-id')] } }],
      ['sync_summary', { tables: ['projects'] }],
      ['register_machine', { machine_id: 'm', device_id: 'd', name: 'n' }],
      ['upsert_profile', {}],
      ['purge_tombstones', { horizon: '0 seconds' }],
    ];
    for (const [fn, args] of calls) {
      const result = await anon.rpc(fn, args);
      expect(result.status, fn).toBe(401);
      expect(result.error?.code, fn).toBe('42501');
    }
  });

  it('through the RPCs a second user sees nothing of alice’s and writing the same ids touches only their own rows', async () => {
    const remote = remoteFor(backend, mallory);
    expect((await remote.pull({ cursor: 0, limit: 100 })).records).toEqual([]);
    expect((await remote.summarize(['projects', 'turns'])).map((s) => s.count)).toEqual([0, 0]);
    const hostile = await remote.push({
      deviceId: 'mallory',
      records: [
        { ...record('projects', 'shared-id'), version: 99, deviceId: 'mallory', payload: { name: 'pwned' } },
        { ...turn(1, { id: 'shared-id' }), version: 99, deletedAt: at(2), deviceId: 'mallory' },
      ],
    });
    expect(hostile.rejected).toEqual([]);
    const mine = await remote.pull({ cursor: 0, limit: 100 });
    expect(mine.records.map((r) => r.changeSeq)).toEqual([1, 2]);

    const { rows } = await backend.standIn.adminPool.query(
      `select version, deleted_at, name from public.projects where user_id = $1 and id = 'shared-id'`,
      [alice.id],
    );
    expect(rows).toEqual([{ version: 1, deleted_at: null, name: null }]);
    const aliceView = await remoteFor(backend, alice).pull({ cursor: 0, limit: 100 });
    expect(aliceView.records.some((r) => r.deviceId === 'mallory' || r.version === 99)).toBe(false);
    expect(aliceView.records).toHaveLength(6);
  });

  it('a forged token for alice signed with another secret is refused', async () => {
    const { signJwt } = await import('@agentlogs/test-backend');
    const forged = signJwt(
      { sub: alice.id, role: 'authenticated' },
      'not-the-project-secret-but-long-enough',
    );
    const client = createClient(backend.url, backend.anonKey, {
      accessToken: async () => forged,
      ...realtime,
    });
    const result = await client.rpc('sync_pull', { cursor: 0, lim: 10 });
    expect(result.status).toBe(401);
    expect(result.error?.code).toBe('PGRST301');
  });
});
