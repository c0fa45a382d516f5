import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isLocalStoreBusyError,
  LATEST_SCHEMA_VERSION,
  LocalStoreBusyError,
  MIGRATIONS,
  openLocalDatabase,
  SqliteSyncStore,
  translateSqliteError,
} from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const here = dirname(fileURLToPath(import.meta.url));

describe('two connections on one database', () => {
  it('a writer blocked by another write transaction gets LocalStoreBusyError after the timeout (kysely)', async () => {
    const holder = openLocalDatabase({ dir });
    const other = openLocalDatabase({ dir, busyTimeoutMs: 150 });
    try {
      holder.sqlite.exec('begin immediate');
      holder.sqlite.prepare("insert into daemon_state (key, value) values ('held', '1')").run();
      const started = Date.now();
      let caught: unknown;
      try {
        await (await other.kysely())
          .insertInto('daemon_state')
          .values({ key: 'second', value: '2' })
          .execute();
      } catch (error) {
        caught = error;
      }
      const waited = Date.now() - started;
      expect(caught).toBeInstanceOf(LocalStoreBusyError);
      expect(isLocalStoreBusyError(caught)).toBe(true);
      expect((caught as LocalStoreBusyError).code).toBe('SQLITE_BUSY');
      expect((caught as Error).message).toMatch(/locked by another agentlogs process.*retry/);
      expect(waited).toBeGreaterThanOrEqual(100);
      holder.sqlite.exec('commit');
      // Once the lock is released the same write goes through, and the held write is there.
      await (await other.kysely()).insertInto('daemon_state').values({ key: 'second', value: '2' }).execute();
      const keys = await (await other.kysely())
        .selectFrom('daemon_state')
        .select('key')
        .orderBy('key')
        .execute();
      expect(keys.map((k) => k.key)).toEqual(['held', 'second']);
    } finally {
      if (holder.sqlite.inTransaction) holder.sqlite.exec('rollback');
      await other.close();
      await holder.close();
    }
  });

  it('the sync store and raw statements report the same typed error', async () => {
    const holder = openLocalDatabase({ dir });
    const other = openLocalDatabase({ dir, busyTimeoutMs: 100 });
    const store = new SqliteSyncStore(other, { deviceId: 'device-b', machineId: 'machine-b' });
    try {
      holder.sqlite.exec('begin immediate');
      await expect(store.applyServerRecords([], 7)).rejects.toBeInstanceOf(LocalStoreBusyError);
      let raw: unknown;
      try {
        other.sqlite.prepare("insert into daemon_state (key, value) values ('x', 'y')").run();
      } catch (error) {
        raw = other.translateError(error);
      }
      expect(raw).toBeInstanceOf(LocalStoreBusyError);
      expect(translateSqliteError(new Error('other'))).toBeInstanceOf(Error);
      holder.sqlite.exec('rollback');
      await store.applyServerRecords([], 7);
      expect(await store.getCursor()).toBe(7);
    } finally {
      if (holder.sqlite.inTransaction) holder.sqlite.exec('rollback');
      await other.close();
      await holder.close();
    }
  });

  it('readers are not blocked by a writer (WAL)', async () => {
    const holder = openLocalDatabase({ dir });
    const reader = openLocalDatabase({ dir, busyTimeoutMs: 50 });
    try {
      holder.sqlite.exec('begin immediate');
      holder.sqlite.prepare("insert into daemon_state (key, value) values ('uncommitted', '1')").run();
      const rows = await (await reader.kysely()).selectFrom('daemon_state').selectAll().execute();
      expect(rows).toEqual([]);
      holder.sqlite.exec('commit');
      expect(await (await reader.kysely()).selectFrom('daemon_state').selectAll().execute()).toHaveLength(1);
    } finally {
      await reader.close();
      await holder.close();
    }
  });
});

describe('two processes on one database', () => {
  it('both write concurrently without losing or corrupting anything', async () => {
    // Create and migrate first, then let a child process and this one insert at the same time.
    await openLocalDatabase({ dir }).close();
    const rowsEach = 400;
    const child = spawn(
      process.execPath,
      [join(here, 'fixtures', 'write-rows.mjs'), join(dir, 'agentlogs.db'), 'child', String(rowsEach)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let childErr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      childErr += chunk;
    });
    const store = openLocalDatabase({ dir });
    try {
      const insert = store.sqlite.prepare('insert into daemon_state (key, value) values (?, ?)');
      for (let i = 0; i < rowsEach; i += 1) {
        store.sqlite.transaction(() => insert.run(`parent:${i}`, String(i))).immediate();
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(childErr).toBe('');
      expect(code).toBe(0);
      const counts = store.sqlite
        .prepare(
          "select substr(key, 1, instr(key, ':') - 1) as who, count(*) as n from daemon_state group by who order by who",
        )
        .all();
      expect(counts).toEqual([
        { who: 'child', n: rowsEach },
        { who: 'parent', n: rowsEach },
      ]);
      expect(store.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await store.close();
    }
    const check = new BetterSqlite3(join(dir, 'agentlogs.db'), { readonly: true });
    expect(check.prepare('select count(*) as n from daemon_state').get()).toEqual({ n: 2 * rowsEach });
    check.close();
  });
});

describe('several processes opening a new database at once', () => {
  it('all succeed; each migration step runs once', async () => {
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [join(here, 'fixtures', 'open-database.mjs'), dir], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          err += chunk;
        });
        child.on('close', (code) => resolve({ code, out, err }));
      });
    const results = await Promise.all([run(), run(), run()]);
    for (const result of results) {
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out).to).toBe(LATEST_SCHEMA_VERSION);
    }
    // Every step was applied by exactly one of them.
    const applied = results.map((r) => JSON.parse(r.out).steps as number).reduce((a, b) => a + b, 0);
    expect(applied).toBe(MIGRATIONS.length);
    const check = new BetterSqlite3(join(dir, 'agentlogs.db'), { readonly: true });
    expect(check.prepare('select count(*) as n, max(version) as v from schema_version').get()).toEqual({
      n: MIGRATIONS.length,
      v: LATEST_SCHEMA_VERSION,
    });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });
});
