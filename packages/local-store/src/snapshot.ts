/**
 * Backups of the local database: a consistent copy (`VACUUM INTO`, one read transaction, so a sync writing
 * meanwhile is either wholly in the copy or not at all), a gzipped JSON-lines export of every synced record, and
 * restoring either into a database by merging records by id and version, never replacing a newer local version.
 */
import { once } from 'node:events';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { LocalStoreError } from './errors.js';
import { DATABASE_FILE_NAME, type LocalDatabase, openLocalDatabase } from './open.js';
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

/** Writes a consistent copy of the database to `file` (which must not exist). */
export function snapshotDatabase(db: LocalDatabase, file: string): SnapshotCounts {
  if (existsSync(file)) {
    throw new LocalStoreError(
      'DATABASE_OPEN_FAILED',
      `${file} exists already; choose another name or remove it`,
    );
  }
  db.sqlite.prepare('vacuum into ?').run(file);
  return { tables: countRows(db) };
}

/**
 * Writes every row of the synced tables, parents first, as gzipped JSON lines: a header line
 * `{format, schemaVersion, exportedAt}`, then `{table, row}` per row with every local column. One read
 * transaction, so the file is as consistent as a snapshot.
 */
export async function exportJsonLines(db: LocalDatabase, file: string): Promise<SnapshotCounts> {
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
    for (const table of SYNCED_TABLES) {
      let n = 0;
      for (const row of db.sqlite.prepare(`select * from ${quote(table)} order by rowid`).iterate()) {
        await write({ table, row });
        n++;
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
async function loadJsonLines(file: string, dir: string): Promise<string> {
  const target = openLocalDatabase({ dir });
  try {
    const lines = createInterface({
      input: createReadStream(file).pipe(createGunzip()),
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
export async function restoreBackup(db: LocalDatabase, file: string): Promise<RestoreCounts> {
  const work = mkdtempSync(join(tmpdir(), 'agentlogs-restore-'));
  try {
    let source: string;
    const kind = await kindOf(file);
    if (kind === undefined) {
      throw new LocalStoreError('DATABASE_OPEN_FAILED', `${file} is not an agentlogs database or export`);
    }
    if (kind === 'jsonl') source = await loadJsonLines(file, work);
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
          db.sqlite
            .prepare(
              `insert into main.${t} (${list}) select ${list} from backup.${t} where true
                 on conflict (id) do update set ${assign} where excluded.version > ${t}.version`,
            )
            .run();
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
