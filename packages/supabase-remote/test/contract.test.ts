import type { Remote } from '@agentlogs/sync-core';
import { type RemoteHarness, runRemoteContract } from '@agentlogs/sync-core/testing';
import { startTestBackend, type TestBackend, type TestUser } from '@agentlogs/test-backend';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { remoteFor } from './fixtures.js';

// sync-core's Remote contract (the reference model's behaviour) against the SQL, through supabase-js and the
// PostgREST stand-in. One database for the file; every harness gets fresh users.
let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});

afterAll(async () => {
  await backend?.close();
});

const TABLES = ['projects', 'visuals'] as const;

/** Payloads with every column filled, so the server returns them unchanged. */
function payload(table: string, n: number): Record<string, unknown> {
  if (table === 'projects')
    return {
      machine_id: `machine-${n}`,
      path: `/home/dev/project-${n}`,
      name: `project-${n}`,
      content_state: null,
    };
  return {
    machine_id: `machine-${n}`,
    commit_id: `commit-${n}`,
    type: 'screenshot',
    path: `shots/${n}.png`,
    captured_at: new Date(Date.UTC(2026, 0, 2, 0, n)).toISOString(),
    caption: `caption ${n}`,
    cloud_url: null,
    content_state: null,
    turn_id: `turn-${n}`,
    session_id: `session-${n}`,
    sha256: String(n).repeat(64).slice(0, 64),
    media_type: 'image/png',
    byte_size: 1000 + n,
  };
}

let harnessCount = 0;

runRemoteContract({ describe, it }, async (): Promise<RemoteHarness> => {
  const users = new Map<string, TestUser>();
  const prefix = `h${harnessCount++}`;
  const service = createClient(backend.url, backend.serviceRoleKey, {
    auth: { persistSession: false },
    ...(typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: WebSocket as never } }),
  });
  return {
    tables: TABLES,
    payload,
    async user(name: string): Promise<Remote> {
      let user = users.get(name);
      if (!user) {
        user = await backend.createUser({ githubLogin: `${prefix}-${name}` });
        users.set(name, user);
      }
      return remoteFor(backend, user);
    },
    async purgeTombstones(horizonMs: number) {
      const { error } = await service.rpc('purge_tombstones', { horizon: `${horizonMs} milliseconds` });
      if (error) throw new Error(`purge_tombstones: ${error.message}`);
    },
  };
});

describe('contract harness', () => {
  it('serves tables the schema holds', async () => {
    const { rows } = await backend.standIn.adminPool.query<{ name: string }>(
      'select name from private.synced_tables',
    );
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining([...TABLES]));
  });
});
