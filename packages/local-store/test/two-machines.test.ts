/**
 * Two machines, each with its own SQLite database, syncing through sync-core's engine and its reference
 * server: imported rows reach the other machine once, edits and deletions propagate, concurrent edits
 * converge, and verify agrees.
 */
import { SyncEngine } from '@agentlogs/sync-core';
import { MemoryRemote, MemoryServer } from '@agentlogs/sync-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDatabase, openLocalDatabase, SqliteSyncStore, SYNCED_TABLES } from '../src/index.js';
import { tempDir } from './helpers.js';

interface Machine {
  database: LocalDatabase;
  store: SqliteSyncStore;
  engine: SyncEngine;
  cleanup: () => void;
}

let now: number;
let server: MemoryServer;
let a: Machine;
let b: Machine;

function machine(name: string): Machine {
  const { dir, cleanup } = tempDir();
  const database = openLocalDatabase({ dir });
  const clock = () => new Date(now);
  const store = new SqliteSyncStore(database, {
    deviceId: `device-${name}`,
    machineId: `machine-${name}`,
    now: clock,
  });
  const engine = new SyncEngine({
    store,
    remote: new MemoryRemote(server, 'user-1'),
    tables: SYNCED_TABLES,
    clock: { now: () => now, sleep: async () => {} },
    batchSize: 3,
  });
  return { database, store, engine, cleanup };
}

beforeEach(() => {
  now = Date.parse('2026-04-01T08:00:00.000Z');
  server = new MemoryServer({ tables: SYNCED_TABLES, clock: { now: () => now, sleep: async () => {} } });
  a = machine('a');
  b = machine('b');
});
afterEach(async () => {
  for (const m of [a, b]) {
    await m.database.close();
    m.cleanup();
  }
});

/** Rows as the importer writes them (same deterministic ids on every machine). */
function importTranscript(m: Machine, name: string) {
  const env = {
    updated_at: new Date(now).toISOString(),
    device_id: `device-${name}`,
    machine_id: `machine-${name}`,
  };
  const { sqlite } = m.database;
  sqlite.transaction(() => {
    sqlite
      .prepare(
        `insert into sessions (id, source, native_id, cwd, started_at, ended_at, updated_at, device_id, machine_id)
         values ('s-1', 'claude_code', 'n-1', '/w/p', '2026-04-01T07:00:00.000Z', '2026-04-01T07:30:00.000Z', @updated_at, @device_id, @machine_id)
         on conflict (id) do nothing`,
      )
      .run(env);
    sqlite
      .prepare(
        `insert into cognitive_commits (id, session_id, started_at, closed_at, closed_by, git_hash, updated_at, device_id, machine_id)
         values ('c-1', 's-1', '2026-04-01T07:00:00.000Z', '2026-04-01T07:20:00.000Z', 'git_commit', 'abc1234', @updated_at, @device_id, @machine_id)
         on conflict (id) do nothing`,
      )
      .run(env);
    const turn = sqlite.prepare(
      `insert into turns (id, session_id, commit_id, role, content, timestamp, input_tokens, output_tokens, updated_at, device_id, machine_id)
       values (?, 's-1', 'c-1', ?, ?, ?, ?, ?, @updated_at, @device_id, @machine_id) on conflict (id) do nothing`,
    );
    for (let i = 1; i <= 7; i += 1) {
      turn.run(
        `t-${i}`,
        i % 2 ? 'user' : 'assistant',
        `turn ${i}`,
        `2026-04-01T07:0${i}:00.000Z`,
        i * 100,
        i * 10,
        env,
      );
    }
  })();
}

const tokens = (m: Machine) =>
  m.database.sqlite
    .prepare('select count(*) as turns, sum(input_tokens) as input from turns where deleted_at is null')
    .get();

describe('two machines syncing through the reference server', () => {
  it('deliver imported rows once, propagate edits and deletions, and verify equal', async () => {
    importTranscript(a, 'a');
    await a.engine.sync();
    expect(await a.store.pendingCounts(SYNCED_TABLES)).toEqual(
      Object.fromEntries(SYNCED_TABLES.map((t) => [t, 0])),
    );

    await b.engine.sync();
    expect(tokens(b)).toEqual({ turns: 7, input: 2800 });
    expect(b.database.sqlite.prepare("select machine_id from turns where id = 't-3'").get()).toEqual({
      machine_id: 'machine-a',
    });

    // The same transcript imported on b afterwards adds nothing.
    importTranscript(b, 'b');
    expect(tokens(b)).toEqual({ turns: 7, input: 2800 });
    expect((await b.store.pendingCounts(['turns'])).turns).toBe(0);

    now += 60_000;
    await b.store.setCommitTitle('c-1', 'Parser from b');
    await b.store.setCommitHidden('c-1', true);
    await b.engine.sync();
    await a.engine.sync();
    expect(
      a.database.sqlite
        .prepare("select title, hidden, version, device_id from cognitive_commits where id = 'c-1'")
        .get(),
    ).toEqual({
      title: 'Parser from b',
      hidden: 1,
      version: 3,
      device_id: 'device-b',
    });

    now += 60_000;
    await a.store.deleteCommit('c-1');
    await a.store.deleteRecord('turns', 't-7');
    await a.engine.sync();
    await b.engine.sync();
    expect(
      b.database.sqlite
        .prepare("select deleted_at is not null as gone from cognitive_commits where id = 'c-1'")
        .get(),
    ).toEqual({
      gone: 1,
    });
    expect(tokens(b)).toEqual({ turns: 6, input: 2100 });
    await expect(b.store.setCommitTitle('c-1', 'again')).rejects.toMatchObject({ code: 'RECORD_NOT_FOUND' });

    // Re-importing the transcript does not bring the deleted rows back.
    importTranscript(b, 'b');
    expect(tokens(b)).toEqual({ turns: 6, input: 2100 });

    for (const m of [a, b]) {
      const report = await m.engine.verify();
      expect(report.ok).toBe(true);
      expect(report.tables.every((t) => t.match)).toBe(true);
    }
  });

  it('converge on one winner when both machines edit the same commit offline', async () => {
    importTranscript(a, 'a');
    await a.engine.sync();
    await b.engine.sync();

    now += 1000;
    await a.store.setCommitTitle('c-1', 'title from a');
    now += 1000;
    await b.store.setCommitTitle('c-1', 'title from b'); // same version, later time: loses
    await a.engine.sync();
    await b.engine.sync();
    await a.engine.sync();
    const title = (m: Machine) =>
      m.database.sqlite.prepare("select title, version from cognitive_commits where id = 'c-1'").get();
    expect(title(a)).toEqual({ title: 'title from a', version: 2 });
    expect(title(b)).toEqual({ title: 'title from a', version: 2 });
    expect(await a.store.pendingCounts(['cognitive_commits'])).toEqual({ cognitive_commits: 0 });
  });
});
