import type { SyncRecord } from '@agentlogs/sync-core';
import type { TestBackend, TestUser } from '@agentlogs/test-backend';
import { createSupabaseRemote, type SupabaseRemote } from '../src/remote.js';

/** A Remote for `user`, configured exactly as a user configures the CLI: project URL + anon key + session. */
export function remoteFor(backend: TestBackend, user: TestUser, timeoutMs?: number): SupabaseRemote {
  return createSupabaseRemote({
    url: backend.url,
    anonKey: backend.anonKey,
    accessToken: async () => user.accessToken,
    timeoutMs,
  });
}

export function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
}

/** A full turns payload (every column), so a round trip can be compared exactly. */
export function turnPayload(n: number, content = `message ${n}`): Record<string, unknown> {
  return {
    machine_id: 'machine-1',
    session_id: `session-${n % 3}`,
    commit_id: null,
    role: n % 2 === 0 ? 'user' : 'assistant',
    content,
    timestamp: at(n),
    tool_calls: n % 2 === 0 ? null : JSON.stringify([{ name: 'Bash', input: { command: 'ls' } }]),
    triggers_visual: 0,
    model: n % 2 === 0 ? null : 'claude-sonnet-4-5-20250929',
    message_id: `msg_${n}`,
    request_id: `req_${n}`,
    is_sidechain: 0,
    agent_id: null,
    cwd: '/home/dev/project',
    input_tokens: 100 + n,
    output_tokens: 20 * n,
    cache_creation_tokens: 5,
    cache_creation_1h_tokens: 0,
    cache_read_tokens: 1000,
    reasoning_tokens: 0,
    cost_usd: 0.0125,
    speed: 'standard',
    content_state: null,
  };
}

export function turn(n: number, overrides: Partial<SyncRecord> = {}): SyncRecord {
  return {
    table: 'turns',
    id: `turn-${String(n).padStart(5, '0')}`,
    version: 1,
    updatedAt: at(n),
    deletedAt: null,
    deviceId: 'device-a',
    payload: turnPayload(n),
    ...overrides,
  };
}
