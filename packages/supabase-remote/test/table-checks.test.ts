/**
 * The CHECK constraints of the synced tables (supabase/migrations/20261204200000_synced_table_checks.sql),
 * through supabase-js and the stand-in with the real migrations: a record with a value out of bounds is refused
 * with a clear error naming the constraint, and a push through the sync engine parks that record alone while
 * the rest of its batch is stored.
 */
import { isSyncError, SyncEngine, type SyncRecord } from '@agentlogs/sync-core';
import { MemoryLocalStore } from '@agentlogs/sync-core/testing';
import { startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteFor, turn, turnPayload } from './fixtures.js';

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});

afterAll(async () => {
  await backend?.close();
});

async function turnsOf(userId: string): Promise<string[]> {
  const { rows } = await backend.standIn.adminPool.query<{ id: string }>(
    'select id from public.turns where user_id = $1 order by id',
    [userId],
  );
  return rows.map((r) => r.id);
}

/** Values each constraint refuses, with the constraint's name. */
const VIOLATIONS: [string, Record<string, unknown>, string][] = [
  ['a negative token count', { output_tokens: -5 }, 'turns_tokens_non_negative'],
  ['a token count above 2^53 - 1', { input_tokens: 2 ** 53 + 2 }, 'turns_tokens_non_negative'],
  ['a negative cost', { cost_usd: -1 }, 'turns_cost_finite_non_negative'],
  ['a role outside the enumeration', { role: 'root' }, 'turns_role_known'],
  ['a speed outside the enumeration', { speed: 'ludicrous' }, 'turns_speed_known'],
  ['an unknown field state', { content_state: '{"content":"leaked"}' }, 'turns_content_state_known'],
  ['a model id over 1000 characters', { model: 'm'.repeat(1001) }, 'turns_ids_bounded_in_payload'],
];

describe('CHECK constraints of the synced tables', () => {
  it('refuse each out-of-bounds value with a permanent, record-level error naming the constraint', async () => {
    const user = await backend.createUser();
    const remote = remoteFor(backend, user);
    for (const [what, change, constraint] of VIOLATIONS) {
      const record = turn(1, { id: `bad-${constraint}`, payload: { ...turnPayload(1), ...change } });
      let caught: unknown;
      try {
        await remote.push({ deviceId: 'device-a', records: [record] });
      } catch (error) {
        caught = error;
      }
      expect(isSyncError(caught), `${what}: ${String(caught)}`).toBe(true);
      expect(caught, what).toMatchObject({ serverCode: '23514', transient: false, recordLevel: true });
      expect((caught as Error).message, what).toContain(constraint);
    }
    expect(await turnsOf(user.id)).toEqual([]);
  });

  it('a push through the engine parks only the violating record; the rest of its batch is stored', async () => {
    const user = await backend.createUser();
    const store = new MemoryLocalStore({ deviceId: 'device-a' });
    const engine = new SyncEngine({
      store,
      remote: remoteFor(backend, user),
      tables: ['turns'],
      batchSize: 10,
      random: () => 0.5,
    });
    const records: SyncRecord[] = [];
    for (let n = 1; n <= 6; n++) {
      const payload = n === 4 ? { ...turnPayload(n), output_tokens: -1 } : turnPayload(n);
      records.push(store.put(turn(n, { payload })));
    }
    const report = await engine.push();
    expect(report).toMatchObject({ accepted: 5, deadLettered: 1, unresolved: 0 });
    const letters = await store.listDeadLetters();
    expect(letters).toEqual([
      expect.objectContaining({ table: 'turns', id: 'turn-00004', version: 1, code: '23514' }),
    ]);
    expect(letters[0]?.message).toContain('turns_tokens_non_negative');
    expect(await turnsOf(user.id)).toEqual(records.filter((r) => r.id !== 'turn-00004').map((r) => r.id));
  });
});
