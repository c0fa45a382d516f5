/**
 * Progress of the long backup steps: a snapshot measured while a worker thread copies, an export counted record
 * by record, a restore merged in slices of rowids (every record merged exactly as in one statement, never a
 * downgrade) with the count told between slices.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BackupProgress,
  exportJsonLines,
  openLocalDatabase,
  restoreBackup,
  snapshotDatabase,
} from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** A database in its own folder under the test's (created when new); its file's path. */
function dbIn(name: string): string {
  const db = openLocalDatabase({ dir: join(dir, name) });
  void db.close();
  return db.path;
}

/** `n` projects with ids p-1…p-n at the given version. */
async function addProjects(
  path: string,
  n: number,
  version: (i: number) => number,
  name = 'backup',
): Promise<void> {
  const db = openLocalDatabase({ path });
  try {
    const insert = db.sqlite.prepare(
      'insert into projects (id, path, name, version, updated_at) values (?, ?, ?, ?, ?) on conflict (id) do update set name = excluded.name, version = excluded.version',
    );
    db.sqlite.transaction(() => {
      for (let i = 1; i <= n; i++)
        insert.run(`p-${i}`, `/work/p-${i}`, `${name} ${i}`, version(i), '2026-12-01T00:00:00.000Z');
    })();
  } finally {
    await db.close();
  }
}

function steps(reports: BackupProgress[], step: BackupProgress['step']): BackupProgress[] {
  return reports.filter((r) => r.step === step);
}

function expectAdvancing(reports: BackupProgress[]): void {
  expect(reports.length).toBeGreaterThan(1);
  for (let i = 1; i < reports.length; i++) {
    expect(reports[i]!.done).toBeGreaterThanOrEqual(reports[i - 1]!.done);
    expect(reports[i]!.total).toBe(reports[0]!.total);
  }
  expect(reports.at(-1)!.done).toBe(reports.at(-1)!.total);
}

describe('backup progress', () => {
  it('a snapshot reports its copy growing to the size of the live pages, and the copy is whole', async () => {
    const db = openLocalDatabase({ dir: join(dir, 'big') });
    // About 48 MiB of pages, so the copy takes many measuring intervals.
    db.sqlite.exec('create table filler (x blob)');
    db.sqlite.transaction(() => {
      const insert = db.sqlite.prepare('insert into filler (x) values (randomblob(65536))');
      for (let i = 0; i < 768; i++) insert.run();
    })();
    const reports: BackupProgress[] = [];
    const file = join(dir, 'snapshot.db');
    await snapshotDatabase(db, file, { onProgress: (p) => reports.push(p), intervalMs: 2 });
    await db.close();

    const copying = steps(reports, 'copying');
    expect(copying).toHaveLength(reports.length);
    expectAdvancing(copying);
    expect(copying[0]!.done).toBe(0);
    expect(copying[0]!.total).toBeGreaterThan(48 * 1024 * 1024);
    // Measured while the copy grew, not only at the start and the end.
    expect(copying.some((r) => r.done > 0 && r.done < r.total)).toBe(true);
    const copy = new BetterSqlite3(file, { readonly: true });
    expect(copy.prepare('select count(*) as n from filler').get()).toEqual({ n: 768 });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    copy.close();
  }, 60_000);

  it('an export counts every record it writes', async () => {
    const path = dbIn('a');
    await addProjects(path, 1200, () => 1);
    const db = openLocalDatabase({ path, readonly: true });
    const reports: BackupProgress[] = [];
    const result = await exportJsonLines(db, join(dir, 'a.jsonl.gz'), { onProgress: (p) => reports.push(p) });
    await db.close();
    const total = Object.values(result.tables).reduce((a, b) => a + b, 0);
    expect(result.tables.projects).toBe(1200);
    expectAdvancing(steps(reports, 'writing'));
    expect(reports.at(-1)).toEqual({ step: 'writing', unit: 'records', done: total, total });
  });

  it('a restore merges in slices: every record as one statement would, told slice by slice', async () => {
    // The backup: 12,345 projects, more than two slices, at version 2.
    const backup = dbIn('backup');
    await addProjects(backup, 12_345, () => 2);
    // The database: some of them older (replaced), some newer (kept), some missing (added).
    const target = dbIn('target');
    await addProjects(target, 9_000, (i) => (i % 2 === 0 ? 1 : 3), 'local');

    const db = openLocalDatabase({ path: target });
    const reports: BackupProgress[] = [];
    const result = await restoreBackup(db, backup, { onProgress: (p) => reports.push(p) });
    await db.close();

    expect(result.tables.projects).toEqual({ added: 3_345, updated: 4_500, kept: 4_500 });
    const merging = steps(reports, 'merging');
    expectAdvancing(merging);
    expect(merging.at(-1)!.total).toBe(12_345);
    // Told between slices: 0, then after each slice of 5,000 (and the last part).
    expect(merging.map((r) => r.done)).toEqual([0, 5_000, 10_000, 12_345]);

    const check = new BetterSqlite3(target, { readonly: true });
    const rows = check.prepare('select id, name, version from projects').all() as {
      id: string;
      name: string;
      version: number;
    }[];
    check.close();
    expect(rows).toHaveLength(12_345);
    for (const row of rows) {
      const i = Number(row.id.slice(2));
      if (i <= 9_000 && i % 2 === 1) expect(row).toEqual({ id: row.id, name: `local ${i}`, version: 3 });
      else expect(row).toEqual({ id: row.id, name: `backup ${i}`, version: 2 });
    }
  }, 60_000);

  it('a snapshot taken while another process writes holds whole transactions only, on either path', async () => {
    const path = dbIn('busy');
    // 24 MiB of pages, so each copy takes a while and the writer commits many times during it.
    const db = openLocalDatabase({ path });
    db.sqlite.exec('create table filler (x blob)');
    db.sqlite.transaction(() => {
      const insert = db.sqlite.prepare('insert into filler (x) values (randomblob(65536))');
      for (let i = 0; i < 384; i++) insert.run();
    })();
    // Another process commits two projects per transaction (p-N and q-N) as fast as it can, as a sync would.
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(driver)}); const db = new D(${JSON.stringify(path)}, { timeout: 10000 });
         const ins = db.prepare("insert into projects (id, path, name, version) values (?, '/w', 'w', 1)");
         const pair = db.transaction((i) => { ins.run('p-' + i); ins.run('q-' + i); });
         for (let i = 0; ; i++) { pair(i); if (i === 100) console.log('ready'); }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout.once('data', () => resolve());
        writer.once('exit', (code) => reject(new Error(`the writer exited ${code}`)));
      });
      for (const [name, options] of [
        ['plain.db', {}],
        ['measured.db', { onProgress: () => {}, intervalMs: 5 }],
      ] as const) {
        const file = join(dir, name);
        await snapshotDatabase(db, file, options);
        const copy = new BetterSqlite3(file, { readonly: true });
        const counts = copy
          .prepare(
            "select sum(id like 'p-%') as p, sum(id like 'q-%') as q, count(*) as n from projects where id like 'p-%' or id like 'q-%'",
          )
          .get() as { p: number; q: number; n: number };
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        copy.close();
        // Some of the writer's transactions are in the copy, and none of them in part; it went on committing.
        expect(counts.n, name).toBeGreaterThan(0);
        expect(counts.p, name).toBe(counts.q);
        await new Promise((r) => setTimeout(r, 50));
        const live = db.sqlite.prepare("select count(*) as n from projects where id like 'p-%'").get() as {
          n: number;
        };
        expect(live.n, name).toBeGreaterThan(counts.p);
      }
    } finally {
      writer.kill();
      await db.close();
    }
  }, 60_000);

  it('without onProgress nothing changes: the snapshot is taken on the connection itself', async () => {
    const path = dbIn('small');
    await addProjects(path, 10, () => 1);
    const db = openLocalDatabase({ path, readonly: true });
    const result = await snapshotDatabase(db, join(dir, 'copy.db'));
    await db.close();
    expect(result.tables.projects).toBe(10);
  });
});
