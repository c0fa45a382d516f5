/**
 * The `LocalStore` contract of sync-core, run against the SQLite store on two pairs of tables: machines →
 * projects (new tables), and sessions → turns (tables of the earlier schema, with foreign keys and NOT NULL
 * columns).
 */
import type { SyncRecord } from '@agentlogs/sync-core';
import { runLocalStoreContract } from '@agentlogs/sync-core/testing';
import { describe, it } from 'vitest';
import {
  type LocalDatabase,
  openLocalDatabase,
  PAYLOAD_COLUMNS,
  SqliteSyncStore,
  type SyncedTable,
} from '../src/index.js';
import { tempDir } from './helpers.js';

function payloadFor(table: string, n: number): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 1, 1, 0, n)).toISOString();
  switch (table as SyncedTable) {
    case 'machines':
      return {
        machine_id: `machine-${n}`,
        name: `Rechner ${n} — ✓`,
        hostname: `host-${n}`,
        platform: 'linux',
        last_seen_at: at,
      };
    case 'projects':
      return {
        machine_id: `machine-${n}`,
        path: `/work/projekt-${n}/ünïcode`,
        name: `projekt-${n}`,
        content_state: null,
      };
    case 'sessions':
      return {
        machine_id: `machine-${n}`,
        source: n % 2 ? 'claude_code' : 'codex',
        native_id: `native-${n}`,
        project_id: null,
        cwd: `/work/p${n}`,
        started_at: at,
        ended_at: at,
        title: n % 3 ? `Session ${n} 日本語` : null,
        commit_id: null,
        content_state: null,
      };
    case 'turns':
      return {
        machine_id: `machine-${n}`,
        session_id: null,
        commit_id: null,
        role: n % 2 ? 'user' : 'assistant',
        content: `turn ${n}: emoji 🚀, quotes "x", newline\nend`,
        timestamp: at,
        tool_calls:
          n % 2 ? null : JSON.stringify([{ id: `toolu_${n}`, name: 'Bash', input: { command: 'ls' } }]),
        triggers_visual: 0,
        model: n % 2 ? null : 'claude-opus-4-5-20251101',
        message_id: `msg_${n}`,
        request_id: `req_${n}`,
        is_sidechain: n % 2,
        agent_id: null,
        cwd: `/work/p${n}`,
        input_tokens: 10 * n,
        output_tokens: 20 * n,
        cache_creation_tokens: 30 * n,
        cache_creation_1h_tokens: n,
        cache_read_tokens: 40 * n,
        reasoning_tokens: 0,
        cost_usd: n % 2 ? null : n * 0.125,
        speed: n % 2 ? null : 'standard',
        content_state: null,
      };
    default:
      throw new Error(`no contract payload for ${table}`);
  }
}

/** Writes a record exactly as given as a local (not yet acknowledged) version, keeping `synced_version`. */
function writeLocal(database: LocalDatabase, record: SyncRecord): void {
  const table = record.table as SyncedTable;
  const values: Record<string, unknown> = {
    id: record.id,
    version: record.version,
    updated_at: record.updatedAt,
    deleted_at: record.deletedAt,
    device_id: record.deviceId,
  };
  for (const column of PAYLOAD_COLUMNS[table]) values[column] = record.payload[column] ?? null;
  const columns = Object.keys(values);
  database.sqlite
    .prepare(
      `insert into ${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})
       on conflict (id) do update set ${columns
         .filter((c) => c !== 'id')
         .map((c) => `${c} = excluded.${c}`)
         .join(', ')}`,
    )
    .run(values);
}

for (const tables of [
  ['machines', 'projects'],
  ['sessions', 'turns'],
] as const) {
  describe(`SqliteSyncStore on ${tables.join(' → ')}`, () => {
    runLocalStoreContract({ describe, it }, async () => {
      const { dir, cleanup } = tempDir();
      const database = openLocalDatabase({ dir });
      const store = new SqliteSyncStore(database, { deviceId: 'device-local', machineId: 'machine-local' });
      return {
        store,
        tables,
        payload: payloadFor,
        writeLocal: async (record) => writeLocal(database, record),
        read: (table, id) => store.readRecord(table, id),
        close: async () => {
          await database.close();
          cleanup();
        },
      };
    });
  });
}
