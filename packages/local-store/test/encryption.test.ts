import { join } from 'node:path';
import { type ContentKey, deriveKey, isEnvelope, newKdfParams } from '@agentlogs/content-policy';
import type { ServerRecord, SyncRecord } from '@agentlogs/sync-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ContentPolicyOptions,
  type LocalDatabase,
  mustReupload,
  openLocalDatabase,
  SqliteSyncStore,
  SYNCED_TABLES,
  uploadForm,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/** The smallest cost content-policy accepts keeps the suite fast. */
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const ALL = [...SYNCED_TABLES];

let dir: string;
let cleanup: () => void;
const opened: LocalDatabase[] = [];
let key: ContentKey;
let otherKey: ContentKey;

beforeAll(async () => {
  const params = newKdfParams(FAST);
  key = await deriveKey('correct horse battery staple', params);
  otherKey = await deriveKey('another passphrase', params);
});
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
  cleanup();
});

function machine(name: string, content?: ContentPolicyOptions): SqliteSyncStore {
  const database = openLocalDatabase({ dir: join(dir, name) });
  opened.push(database);
  return new SqliteSyncStore(database, {
    deviceId: `device-${name}`,
    machineId: `machine-${name}`,
    ...(content ? { content } : {}),
  });
}

const stamp = (name: string) => ({
  updated_at: '2026-03-01T10:00:00.000Z',
  device_id: `device-${name}`,
  machine_id: `machine-${name}`,
});

function importSession(s: SqliteSyncStore, name: string) {
  const { sqlite } = s.database;
  sqlite
    .prepare(
      `insert into projects (id, path, name, updated_at, device_id, machine_id)
       values ('p-${name}', '/home/u/work/secret-project-${name}', 'secret-project-${name}', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp(name));
  sqlite
    .prepare(
      `insert into sessions (id, source, native_id, project_id, cwd, title, started_at, ended_at, updated_at, device_id, machine_id)
       values ('s-${name}', 'claude_code', 'n-${name}', 'p-${name}', '/home/u/work/secret-project-${name}', 'the plan of ${name}',
               '2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp(name));
  sqlite
    .prepare(
      `insert into turns (id, session_id, role, content, tool_calls, cwd, timestamp, model, input_tokens, output_tokens, cost_usd, updated_at, device_id, machine_id)
       values ('t-${name}', 's-${name}', 'user', 'the prompt of ${name}', '[{"name":"Read","input":{"file":"notes-${name}.md"}}]',
               '/home/u/work/secret-project-${name}', '2026-03-01T09:00:01.000Z', 'claude-opus-4-5', 10, 20, 0.5, @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp(name));
}

async function pending(s: SqliteSyncStore): Promise<SyncRecord[]> {
  return s.pendingChanges({ tables: ALL, limit: 1000, maxBytes: 10_000_000 });
}

/** Pushes a machine's pending records to a list standing for the server's copies, and acknowledges them. */
async function push(s: SqliteSyncStore, server: Map<string, ServerRecord>): Promise<SyncRecord[]> {
  const records = await pending(s);
  for (const record of records) {
    server.set(`${record.table}/${record.id}`, { ...record, changeSeq: server.size + 1 });
  }
  await s.markPushed(records.map((r) => ({ table: r.table, id: r.id, version: r.version, changeSeq: 1 })));
  return records;
}

const text = (records: unknown) => JSON.stringify(records);

describe('end-to-end encryption in the local store', () => {
  it('with the key: no text, path or title leaves in the clear; metrics do', async () => {
    const a = machine('a', { level: 'full', encryption: { key } });
    importSession(a, 'a');
    const records = await pending(a);
    const sent = text(records);
    for (const planted of ['the prompt of a', 'secret-project-a', 'the plan of a', 'notes-a.md']) {
      expect(sent).not.toContain(planted);
    }
    const turn = records.find((r) => r.id === 't-a')!;
    expect(isEnvelope(turn.payload.content)).toBe(true);
    expect(isEnvelope(turn.payload.tool_calls)).toBe(true);
    expect(JSON.parse(turn.payload.content_state as string)).toEqual({
      content: 'encrypted',
      cwd: 'encrypted',
      tool_calls: 'encrypted',
    });
    expect(turn.payload).toMatchObject({ input_tokens: 10, output_tokens: 20, model: 'claude-opus-4-5' });
    // The local row keeps the text.
    expect((await a.readRecord('turns', 't-a'))!.payload.content).toBe('the prompt of a');
  });

  it('a second machine with the key reads the text; a third without it keeps it locked and never sends less over it', async () => {
    const server = new Map<string, ServerRecord>();
    const a = machine('a', { level: 'redacted', encryption: { key } });
    importSession(a, 'a');
    await push(a, server);

    const b = machine('b', { level: 'full', encryption: { key } });
    await b.applyServerRecords([...server.values()]);
    const atB = (await b.readRecord('turns', 't-a'))!;
    expect(atB.payload.content).toBe('the prompt of a');
    expect(atB.payload.cwd).toBe('/home/u/work/secret-project-a');
    // Sent after redaction (nothing to redact): the fields are whole, so plain.
    expect(atB.payload.content_state).toBeNull();

    const c = machine('c', { level: 'full', encryption: { locked: true } });
    await c.applyServerRecords([...server.values()]);
    const atC = (await c.readRecord('turns', 't-a'))!;
    expect(isEnvelope(atC.payload.content)).toBe(true);
    expect(atC.payload.input_tokens).toBe(10);
    expect(c.lockedFieldCount()).toBeGreaterThan(0);
    // An edit on the locked machine sends the ciphertext it holds back as it is, never a withheld copy.
    await c.editRecord('turns', 't-a', { input_tokens: 11 });
    const fromC = (await pending(c)).find((r) => r.id === 't-a')!;
    expect(fromC.payload.content).toBe(atC.payload.content);
    expect(JSON.parse(fromC.payload.content_state as string)).toMatchObject({ content: 'encrypted' });
    // B takes C's version: its metric, and the same text.
    await b.applyServerRecords([{ ...fromC, changeSeq: 99 }]);
    expect((await b.readRecord('turns', 't-a'))!.payload).toMatchObject({
      input_tokens: 11,
      content: 'the prompt of a',
    });

    // The locked machine's own records leave without text and without paths.
    importSession(c, 'c');
    const own = (await pending(c)).filter((r) => r.id.endsWith('-c'));
    expect(text(own)).not.toContain('secret-project-c');
    expect(text(own)).not.toContain('the prompt of c');
    expect(own.find((r) => r.id === 't-c')!.payload).toMatchObject({
      content: null,
      cwd: null,
      input_tokens: 10,
    });

    // Unlocked, C opens what it pulled while locked, at the same version.
    c.setContentPolicy({ level: 'full', encryption: { key } });
    const before = (await c.readRecord('sessions', 's-a'))!.version;
    expect(c.openLockedFields().opened).toBeGreaterThan(0);
    expect(c.lockedFieldCount()).toBe(0);
    const session = (await c.readRecord('sessions', 's-a'))!;
    expect(session.payload.title).toBe('the plan of a');
    expect(session.version).toBe(before);
  });

  it('a field encrypted under another passphrase stays locked and never replaces the text held here', async () => {
    const server = new Map<string, ServerRecord>();
    const a = machine('a', { level: 'full', encryption: { key } });
    importSession(a, 'a');
    const [turn] = (await push(a, server)).filter((r) => r.id === 't-a');
    const stale = machine('s', { level: 'full', encryption: { key: otherKey } });
    await stale.applyServerRecords([{ ...turn!, changeSeq: 1 }]);
    expect(isEnvelope((await stale.readRecord('turns', 't-a'))!.payload.content)).toBe(true);
    // A holds the text; a newer version encrypted under another key does not overwrite it.
    const other = machine('o', { level: 'full', encryption: { key: otherKey } });
    importSession(other, 'a');
    const [foreign] = (await pending(other)).filter((r) => r.id === 't-a');
    await a.applyServerRecords([{ ...foreign!, version: 5, changeSeq: 2 }]);
    const atA = (await a.readRecord('turns', 't-a'))!;
    expect(atA.version).toBe(5);
    expect(atA.payload.content).toBe('the prompt of a');
  });

  it('a pulled locked field written again by an import is whole: it never leaves as plaintext labelled encrypted', async () => {
    const server = new Map<string, ServerRecord>();
    const a = machine('a', { level: 'full', encryption: { key } });
    importSession(a, 'a');
    await push(a, server);
    const c = machine('c', { level: 'full', encryption: { locked: true } });
    await c.applyServerRecords([...server.values()]);
    // The importer rewrites the text of a turn it finds in a transcript here, leaving content_state as it was.
    c.database.sqlite
      .prepare(
        `update turns set content = 'the prompt of a', version = version + 1, device_id = 'device-c' where id = 't-a'`,
      )
      .run();
    const locked = (await pending(c)).find((r) => r.id === 't-a')!;
    expect(text(locked)).not.toContain('the prompt of a');
    expect(JSON.parse(locked.payload.content_state as string)).toMatchObject({ content: 'withheld' });
    c.setContentPolicy({ level: 'full', encryption: { key } });
    const sealed = (await pending(c)).find((r) => r.id === 't-a')!;
    expect(isEnvelope(sealed.payload.content)).toBe(true);
    expect(text(sealed)).not.toContain('the prompt of a');
    // A newer encrypted copy pulled while locked again does not replace the text recorded here.
    c.setContentPolicy({ level: 'full', encryption: { locked: true } });
    const newer = { ...server.get('turns/t-a')!, version: 9, changeSeq: 50 };
    await c.applyServerRecords([newer]);
    expect((await c.readRecord('turns', 't-a'))!.payload.content).toBe('the prompt of a');
  });

  it('turning encryption on, locking and unlocking queue the uploaded records exactly when the server copy must change', async () => {
    expect(uploadForm('redacted', undefined)).toBe('redacted');
    expect(uploadForm('redacted', { key })).toBe('redacted+encrypted');
    expect(uploadForm('full', { locked: true })).toBe('locked');
    expect(mustReupload(undefined, 'full')).toBe(false);
    expect(mustReupload('full', 'full+encrypted')).toBe(true);
    expect(mustReupload('full+encrypted', 'locked')).toBe(false);
    expect(mustReupload('full', 'locked')).toBe(true);
    expect(mustReupload('locked', 'full+encrypted')).toBe(true);

    const server = new Map<string, ServerRecord>();
    const a = machine('a', { level: 'full' });
    importSession(a, 'a');
    expect(await a.recordContentLevel('full')).toBe(0);
    await push(a, server);
    a.setContentPolicy({ level: 'full', encryption: { key } });
    expect(await a.recordContentLevel('full')).toBe(3);
    expect(text(await push(a, server))).not.toContain('the prompt of a');
    a.setContentPolicy({ level: 'full', encryption: { locked: true } });
    expect(await a.recordContentLevel('full')).toBe(0);
    a.setContentPolicy({ level: 'full', encryption: { key } });
    expect(await a.recordContentLevel('full')).toBe(3);
    expect(a.uploadedForm()).toBe('full+encrypted');
  });
});
