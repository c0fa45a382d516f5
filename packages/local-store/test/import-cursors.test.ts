/** The import's own tables: cursors and folder listings round-trip, and the run's settings are restored. */
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildUsageRollup,
  DEFERRED_TURN_INDEXES,
  ImportCursors,
  type LocalDatabase,
  openLocalDatabase,
  rollupEntries,
  searchStatus,
  TranscriptImport,
} from '../src/index.js';
import { tempDir } from './helpers.js';

let database: LocalDatabase;
let cleanup: () => void;

function open(): LocalDatabase {
  const dir = tempDir();
  cleanup = dir.cleanup;
  database = openLocalDatabase({ dir: dir.dir });
  return database;
}

afterEach(async () => {
  await database.close();
  cleanup();
});

describe('ImportCursors', () => {
  it('stores a cursor and reads it back whole, and every size and mtime in one read', () => {
    const cursors = new ImportCursors(open().sqlite);
    expect(cursors.get('/t/a.jsonl')).toBeUndefined();
    const cursor = {
      path: '/t/a.jsonl',
      source: 'claude_code',
      size: 120,
      mtimeMs: 1_700_000_000_000,
      byteOffset: 100,
      lineCount: 3,
      headHash: 'h:t',
      sessionId: 's',
      state: '{"pendingGitCalls":[]}',
      malformedLines: 1,
    };
    cursors.save(cursor, '2026-11-01T00:00:00Z');
    cursors.save(
      { ...cursor, path: '/t/b.jsonl', size: 7, sessionId: null, state: null },
      '2026-11-01T00:00:00Z',
    );
    expect(cursors.get('/t/a.jsonl')).toEqual(cursor);
    expect([...cursors.sizes()]).toEqual([
      ['/t/a.jsonl', [120, 1_700_000_000_000]],
      ['/t/b.jsonl', [7, 1_700_000_000_000]],
    ]);
    cursors.save({ ...cursor, byteOffset: 120, lineCount: 4 }, '2026-11-02T00:00:00Z');
    expect(cursors.get('/t/a.jsonl')).toMatchObject({ byteOffset: 120, lineCount: 4 });
  });

  it('stores folder listings; an unreadable one is left out (listed again)', () => {
    const db = open().sqlite;
    const cursors = new ImportCursors(db);
    const listing = { mtimeMs: 1.5, listedAtMs: 10_000, folders: ['p'], files: ['a.jsonl'] };
    cursors.storeFolderListings(new Map([['/t', listing]]));
    db.prepare(
      "insert into import_folders (path, mtime_ms, listed_at_ms, folders, files) values ('/u', 1, 2, 'not json', '[]')",
    ).run();
    expect([...cursors.folderListings()]).toEqual([['/t', listing]]);
  });
});

describe('TranscriptImport', () => {
  it('restores wal_autocheckpoint when it finishes, and commits the open group', () => {
    const db = open().sqlite;
    const before = db.pragma('wal_autocheckpoint', { simple: true });
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: '2026-11-01T00:00:00Z' });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    run.beginGroup();
    run.cursors.save(
      {
        path: '/t/a.jsonl',
        source: 'codex',
        size: 1,
        mtimeMs: 1,
        byteOffset: 1,
        lineCount: 1,
        headHash: null,
        sessionId: null,
        state: null,
        malformedLines: 0,
      },
      '2026-11-01T00:00:00Z',
    );
    expect(db.inTransaction).toBe(true);
    run.finish();
    expect(db.inTransaction).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(before);
    expect(new ImportCursors(db).get('/t/a.jsonl')).toMatchObject({ source: 'codex' });
  });
});

describe('a large import copies its WAL back on a helper thread as it grows', () => {
  const MB = 1024 * 1024;
  /** Writes `groups` commits of about 1 MB each, giving a helper (if any) time to copy each back; returns the WAL's largest size. */
  function writeGroups(
    db: LocalDatabase['sqlite'],
    run: TranscriptImport,
    groups: number,
    waitFor?: () => number,
  ): number {
    db.exec('create table if not exists scratch (id integer primary key, body text)');
    const insert = db.prepare('insert into scratch (body) values (?)');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let largest = 0;
    for (let g = 0; g < groups; g++) {
      run.beginGroup();
      for (let i = 0; i < 64; i++) insert.run(`${g}:${i}:`.padEnd(16 * 1024, 'x'));
      run.commitGroup();
      largest = Math.max(largest, statSync(`${db.name}-wal`).size);
      if (waitFor) {
        // Until the helper has run a checkpoint after this commit (bounded: the test fails on the size below).
        const seen = waitFor();
        const deadline = Date.now() + 5_000;
        while (waitFor() <= seen + 1 && Date.now() < deadline) Atomics.wait(pause, 0, 0, 5);
      }
    }
    return largest;
  }

  it('keeps the WAL short while the run writes, and stops before the final checkpoint', () => {
    const db = open().sqlite;
    const before = db.pragma('wal_autocheckpoint', { simple: true });
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: '2026-11-01T00:00:00Z' });
    expect(run.checkpointWhileImporting()).toBe(true);
    const helper = (run as unknown as { checkpointer: { runs: number } }).checkpointer;
    const largest = writeGroups(db, run, 12, () => helper.runs);
    // 12 MB written; the WAL is reused from its start once the helper has copied it back.
    expect(largest).toBeLessThan(4 * MB);
    run.finish();
    // Still off until the final checkpoint: the copying stays on the helper.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    run.checkpoint();
    expect(helper.runs).toBeGreaterThan(0);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(before);
    expect(statSync(`${db.name}-wal`).size).toBe(0);
    expect(db.prepare('select count(*) from scratch').pluck().get()).toBe(12 * 64);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('with commits back to back (the helper never catches up), a group commit starts the WAL again at its limit', () => {
    const db = open().sqlite;
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: '2026-11-01T00:00:00Z' });
    expect(run.checkpointWhileImporting({ walLimitBytes: 4 * MB })).toBe(true);
    // 24 MB written with no pause: without the limit nothing lets the WAL start again (see the next test).
    const largest = writeGroups(db, run, 24);
    expect(largest).toBeLessThan(4 * MB + 2 * MB);
    run.finish();
    run.checkpoint();
    expect(db.prepare('select count(*) from scratch').pluck().get()).toBe(24 * 64);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('without the helper the same writes grow the WAL to their whole size', () => {
    const db = open().sqlite;
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: '2026-11-01T00:00:00Z' });
    expect(writeGroups(db, run, 12)).toBeGreaterThan(12 * MB);
    run.finish();
    run.checkpoint();
  });

  it('stops the helper when the run fails, and a deferred (hook) run starts none', () => {
    const db = open().sqlite;
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: '2026-11-01T00:00:00Z' });
    expect(run.checkpointWhileImporting()).toBe(true);
    db.pragma('foreign_keys = on');
    db.exec(`create table parent (id integer primary key);
      create table child (parent_id integer references parent(id) deferrable initially deferred)`);
    run.beginGroup();
    db.exec('insert into child values (1)');
    // A failure while finishing: the open group cannot commit (a deferred constraint fails).
    expect(() => run.finish()).toThrow(/FOREIGN KEY/);
    expect((run as unknown as { checkpointer: unknown }).checkpointer).toBeNull();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    if (db.inTransaction) db.exec('rollback');
    const hook = new TranscriptImport(db, {
      deviceId: 'd',
      machineId: 'm',
      now: '2026-11-01T00:00:00Z',
      deferred: true,
    });
    expect(hook.checkpointWhileImporting()).toBe(false);
    hook.finish();
  });
});

describe('a first import defers the turn indexes no import lookup needs', () => {
  const NOW = '2026-11-01T00:00:00.000Z';
  const indexes = (db: LocalDatabase['sqlite']) =>
    db
      .prepare(
        "select name, sql from sqlite_master where type = 'index' and tbl_name = 'turns' order by name",
      )
      .all();
  function addTurns(db: LocalDatabase['sqlite'], n: number, from = 0) {
    db.prepare(
      `insert or ignore into sessions (id, source, native_id, started_at, ended_at, updated_at, device_id, machine_id)
       values ('s1', 'claude_code', 'n1', @now, @now, @now, 'd', 'm')`,
    ).run({ now: NOW });
    const insert = db.prepare(
      `insert into turns (id, session_id, role, content, timestamp, message_id, updated_at, device_id, machine_id)
       values (?, 's1', 'assistant', ?, @now, ?, @now, 'd', 'm')`,
    );
    for (let i = from; i < from + n; i++) insert.run(`t${i}`, `migration step ${i}`, `msg${i}`, { now: NOW });
  }

  it('drops them on an empty database, builds the same ones at the end, and indexes the turns for search once', () => {
    const db = open().sqlite;
    const migrated = indexes(db);
    for (const name of Object.keys(DEFERRED_TURN_INDEXES))
      expect(migrated.map((i) => (i as { name: string }).name)).toContain(name);
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: NOW });
    expect(run.deferTurnIndexes()).toBe(true);
    expect(indexes(db).length).toBe(migrated.length - Object.keys(DEFERRED_TURN_INDEXES).length);
    run.beginGroup();
    addTurns(db, 50);
    run.commitGroup();
    // The group committed without feeding the search index: the turns wait in its queue until the end.
    expect(searchStatus(db).pendingTurns).toBe(50);
    run.finish();
    expect(indexes(db)).toEqual(migrated);
    expect(searchStatus(db).pendingTurns).toBe(0);
    expect(
      db.prepare("select count(*) from turn_search where turn_search match 'migration'").pluck().get(),
    ).toBe(50);
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY again
    // The index builds' sorter settings and FTS5's pending-terms memory are given back.
    expect(db.pragma('threads', { simple: true })).toBe(0);
    expect(db.pragma('cache_size', { simple: true })).toBe(-16384);
    expect(db.prepare("select v from turn_search_config where k = 'hashsize'").pluck().get() ?? 1048576).toBe(
      1048576,
    );
  });

  it('leaves a database that already holds turns alone', () => {
    const db = open().sqlite;
    addTurns(db, 3);
    const before = indexes(db);
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: NOW });
    expect(run.deferTurnIndexes()).toBe(false);
    expect(indexes(db)).toEqual(before);
    run.finish();
    expect(indexes(db)).toEqual(before);
  });

  it('after a first import killed before its end, the next import rebuilds them; stats reads meanwhile', () => {
    const db = open().sqlite;
    const migrated = indexes(db);
    const killed = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: NOW });
    killed.deferTurnIndexes();
    killed.beginGroup();
    addTurns(db, 20);
    db.exec('COMMIT'); // the group committed, then the process died: no finish()
    expect(indexes(db).length).toBeLessThan(migrated.length);
    // Meanwhile the rollup `stats` reads is built without the usage index (sorted instead), with the same entries.
    const prices = { fingerprint: 'none', cost: () => null };
    const without = rollupEntries(buildUsageRollup(db, prices));
    expect(without.reduce((sum, row) => sum + row[4], 0)).toBe(20);
    // The next import (a hook's, say) repairs before it writes.
    const next = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: NOW });
    expect(indexes(db)).toEqual(migrated);
    next.finish();
    expect(rollupEntries(buildUsageRollup(db, prices))).toEqual(without);
  });
});
