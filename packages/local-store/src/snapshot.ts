/**
 * Backups of the local database: a consistent copy (`VACUUM INTO`, one read transaction, so a sync writing
 * meanwhile is either wholly in the copy or not at all), a gzipped JSON-lines export of every synced record, and
 * restoring either into a database by merging records by id and version, never replacing a newer local version.
 */
import { once } from 'node:events';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { createGunzip, createGzip } from 'node:zlib';
import { LocalStoreError } from './errors.js';
import { DATABASE_FILE_NAME, type LocalDatabase, openLocalDatabase, sqliteDriverPath } from './open.js';
import { SYNCED_TABLES } from './tables.js';

/** The first line of a JSON-lines export. */
export const EXPORT_FORMAT = 'agentlogs-export';

export interface SnapshotCounts {
  /** Rows per synced table. */
  tables: Record<string, number>;
}

function columnsOf(db: LocalDatabase, schema: string, table: string): string[] {
  return (
    db.sqlite.prepare(`select name from pragma_table_info(?, ?)`).all(table, schema) as { name: string }[]
  ).map((r) => r.name);
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** Records merged per statement by a restore. */
const MERGE_SLICE = 5_000;

function countRows(db: LocalDatabase, schema = 'main'): Record<string, number> {
  const tables: Record<string, number> = {};
  for (const table of SYNCED_TABLES) {
    const row = db.sqlite.prepare(`select count(*) as n from ${schema}.${quote(table)}`).get() as {
      n: number;
    };
    tables[table] = row.n;
  }
  return tables;
}

/**
 * How far a long backup step is: `done` of `total` bytes (a snapshot: the copy's size against the live pages of
 * the database; reading an export: compressed bytes read) or records (writing an export, merging a restore).
 */
export interface BackupProgress {
  step: 'copying' | 'writing' | 'reading' | 'merging';
  unit: 'bytes' | 'records';
  done: number;
  total: number;
}

export interface BackupProgressOptions {
  /** Called as the work advances (at most every `intervalMs` while a snapshot is copied), last with done = total. */
  onProgress?: (progress: BackupProgress) => void;
  /** How often a snapshot's copy is measured (default 100 ms). */
  intervalMs?: number;
}

/** The bytes a `VACUUM INTO` copy of the database comes to: its pages in use. */
function liveBytes(db: LocalDatabase): number {
  const pages = db.sqlite.pragma('page_count', { simple: true }) as number;
  const free = db.sqlite.pragma('freelist_count', { simple: true }) as number;
  const size = db.sqlite.pragma('page_size', { simple: true }) as number;
  return Math.max(0, pages - free) * size;
}

/**
 * `VACUUM INTO` on a connection of its own in a worker thread, so this thread can measure the copy as it grows.
 * The copy is the same: one read transaction of the database file.
 */
function vacuumInWorker(db: LocalDatabase, file: string): Promise<void> {
  const driver = sqliteDriverPath();
  const code = `
    const { workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.source, { readonly: true, fileMustExist: true, timeout: workerData.timeout });
    try { db.prepare('vacuum into ?').run(workerData.target); } finally { db.close(); }
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, {
      eval: true,
      workerData: { driver, source: db.path, target: file, timeout: db.busyTimeoutMs },
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`snapshot worker exited ${code}`)),
    );
  });
}

/**
 * Writes a consistent copy of the database to `file` (which must not exist). With `onProgress`, the copy is
 * made by a worker thread and its size reported as it grows; without, on this connection.
 */
export async function snapshotDatabase(
  db: LocalDatabase,
  file: string,
  options: BackupProgressOptions = {},
): Promise<SnapshotCounts> {
  if (existsSync(file)) {
    throw new LocalStoreError(
      'DATABASE_OPEN_FAILED',
      `${file} exists already; choose another name or remove it`,
    );
  }
  const { onProgress } = options;
  if (!onProgress || !existsSync(db.path)) {
    db.sqlite.prepare('vacuum into ?').run(file);
    return { tables: countRows(db) };
  }
  const total = liveBytes(db);
  const report = (done: number) => onProgress({ step: 'copying', unit: 'bytes', done, total });
  report(0);
  const timer = setInterval(() => {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      return; // not created yet
    }
    // The copy's last pages land at the end: stay below the whole until it is done.
    report(Math.min(size, Math.max(0, total - 1)));
  }, options.intervalMs ?? 100);
  try {
    await vacuumInWorker(db, file);
  } catch {
    // A worker that could not run (or failed) leaves the work to this connection, whose error is the one to see.
    rmSync(file, { force: true });
    db.sqlite.prepare('vacuum into ?').run(file);
  } finally {
    clearInterval(timer);
  }
  report(total);
  return { tables: countRows(db) };
}

/**
 * Writes every row of the synced tables, parents first, as gzipped JSON lines: a header line
 * `{format, schemaVersion, exportedAt}`, then `{table, row}` per row with every local column. One read
 * transaction, so the file is as consistent as a snapshot.
 */
export async function exportJsonLines(
  db: LocalDatabase,
  file: string,
  options: BackupProgressOptions = {},
): Promise<SnapshotCounts> {
  if (existsSync(file)) {
    throw new LocalStoreError(
      'DATABASE_OPEN_FAILED',
      `${file} exists already; choose another name or remove it`,
    );
  }
  const gzip = createGzip();
  const out = createWriteStream(file, { flags: 'wx' });
  gzip.pipe(out);
  const finished = once(out, 'close');
  const write = async (value: unknown) => {
    if (!gzip.write(`${JSON.stringify(value)}\n`)) await once(gzip, 'drain');
  };
  const tables: Record<string, number> = {};
  const version = (db.sqlite.prepare('select max(version) as v from schema_version').get() as { v: number })
    .v;
  db.sqlite.exec('begin');
  try {
    await write({ format: EXPORT_FORMAT, schemaVersion: version, exportedAt: new Date().toISOString() });
    const { onProgress } = options;
    const total = onProgress ? sum(countRows(db)) : 0;
    let done = 0;
    onProgress?.({ step: 'writing', unit: 'records', done, total });
    for (const table of SYNCED_TABLES) {
      let n = 0;
      for (const row of db.sqlite.prepare(`select * from ${quote(table)} order by rowid`).iterate()) {
        await write({ table, row });
        n++;
        onProgress?.({ step: 'writing', unit: 'records', done: ++done, total });
      }
      tables[table] = n;
    }
  } finally {
    db.sqlite.exec('commit');
  }
  gzip.end();
  await finished;
  return { tables };
}

export interface RestoreCounts {
  /** Per table: rows added, rows replaced by a newer version, rows kept because the local one is as new or newer. */
  tables: Record<string, { added: number; updated: number; kept: number }>;
}

/** What a backup file is, by its first bytes: gzip (a JSON-lines export), a SQLite database, or neither. */
async function kindOf(file: string): Promise<'jsonl' | 'sqlite' | undefined> {
  const stream = createReadStream(file, { start: 0, end: 15 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const head = Buffer.concat(chunks);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'jsonl';
  if (head.toString('latin1') === 'SQLite format 3\0') return 'sqlite';
  return undefined;
}

/** Loads a JSON-lines export into a fresh database at `dir`. */
async function loadJsonLines(
  file: string,
  dir: string,
  onProgress: BackupProgressOptions['onProgress'],
): Promise<string> {
  const target = openLocalDatabase({ dir });
  try {
    const raw = createReadStream(file);
    const total = onProgress ? statSync(file).size : 0;
    onProgress?.({ step: 'reading', unit: 'bytes', done: 0, total });
    const lines = createInterface({
      input: raw.pipe(createGunzip()),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    const columns = new Map<string, Set<string>>();
    for (const table of SYNCED_TABLES) columns.set(table, new Set(columnsOf(target, 'main', table)));
    let first = true;
    target.sqlite.pragma('foreign_keys = OFF');
    target.sqlite.exec('begin');
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const value = JSON.parse(line) as { format?: string; table?: string; row?: Record<string, unknown> };
        if (first) {
          first = false;
          if (value.format !== EXPORT_FORMAT) {
            throw new LocalStoreError('DATABASE_OPEN_FAILED', `${file} is not an agentlogs export`);
          }
          continue;
        }
        onProgress?.({ step: 'reading', unit: 'bytes', done: Math.min(raw.bytesRead, total), total });
        const known = value.table ? columns.get(value.table) : undefined;
        if (!known || !value.row) continue;
        const keys = Object.keys(value.row).filter((k) => known.has(k));
        target.sqlite
          .prepare(
            `insert into ${quote(value.table!)} (${keys.map(quote).join(', ')}) values (${keys.map(() => '?').join(', ')})`,
          )
          .run(...keys.map((k) => value.row![k] as never));
      }
      target.sqlite.exec('commit');
      onProgress?.({ step: 'reading', unit: 'bytes', done: total, total });
    } catch (error) {
      target.sqlite.exec('rollback');
      throw error;
    }
  } finally {
    await target.close();
  }
  return join(dir, DATABASE_FILE_NAME);
}

/**
 * Merges the records of a backup (a database snapshot of any agentlogs version, or a JSON-lines export) into
 * `db`: a record the database lacks is added, one with a higher version replaces the local one, and a local record
 * at the same or a higher version is kept. Every column comes from the backup, its sync state included; turns'
 * usage rollup is invalidated by the tables' own triggers. The backup file is not changed.
 */
export async function restoreBackup(
  db: LocalDatabase,
  file: string,
  options: BackupProgressOptions = {},
): Promise<RestoreCounts> {
  const { onProgress } = options;
  const work = mkdtempSync(join(tmpdir(), 'agentlogs-restore-'));
  try {
    let source: string;
    const kind = await kindOf(file);
    if (kind === undefined) {
      throw new LocalStoreError('DATABASE_OPEN_FAILED', `${file} is not an agentlogs database or export`);
    }
    if (kind === 'jsonl') source = await loadJsonLines(file, work, onProgress);
    else {
      // A copy, migrated to this version's schema, so its columns are the database's.
      source = join(work, DATABASE_FILE_NAME);
      copyFileSync(file, source);
      try {
        await openLocalDatabase({ path: source }).close();
      } catch (cause) {
        throw new LocalStoreError('DATABASE_OPEN_FAILED', `${file} is not an agentlogs database`, { cause });
      }
    }
    db.sqlite.prepare('attach database ? as backup').run(source);
    const tables: RestoreCounts['tables'] = {};
    try {
      db.sqlite.pragma('foreign_keys = OFF');
      db.sqlite.exec('begin immediate');
      try {
        const total = onProgress ? sum(countRows(db, 'backup')) : 0;
        let done = 0;
        onProgress?.({ step: 'merging', unit: 'records', done, total });
        for (const table of SYNCED_TABLES) {
          const local = new Set(columnsOf(db, 'main', table));
          const cols = columnsOf(db, 'backup', table).filter((c) => local.has(c));
          const t = quote(table);
          const counts = db.sqlite
            .prepare(
              `select count(*) filter (where m.id is null) as added,
                      count(*) filter (where m.id is not null and b.version > m.version) as updated,
                      count(*) filter (where m.id is not null and b.version <= m.version) as kept
                 from backup.${t} b left join main.${t} m on m.id = b.id`,
            )
            .get() as { added: number; updated: number; kept: number };
          const list = cols.map(quote).join(', ');
          const assign = cols
            .filter((c) => c !== 'id')
            .map((c) => `${quote(c)} = excluded.${quote(c)}`)
            .join(', ');
          // In slices of rowids, so that progress can be told between them; one transaction all the same.
          const merge = db.sqlite.prepare(
            `insert into main.${t} (${list}) select ${list} from backup.${t} where rowid > ? and rowid <= ?
               on conflict (id) do update set ${assign} where excluded.version > ${t}.version`,
          );
          const sliceEnd = db.sqlite.prepare(
            `select max(rowid) as last, count(*) as n
                 from (select rowid from backup.${t} where rowid > ? order by rowid limit ${MERGE_SLICE})`,
          );
          for (let after: number | bigint = -(2n ** 63n); ; ) {
            const slice = sliceEnd.get(after) as { last: number | bigint | null; n: number };
            if (slice.last === null) break;
            merge.run(after, slice.last);
            after = slice.last;
            done += slice.n;
            onProgress?.({ step: 'merging', unit: 'records', done, total });
          }
          tables[table] = counts;
        }
        db.sqlite.exec('commit');
      } catch (error) {
        db.sqlite.exec('rollback');
        throw error;
      } finally {
        db.sqlite.pragma('foreign_keys = ON');
      }
    } finally {
      db.sqlite.prepare('detach database backup').run();
    }
    return { tables };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
