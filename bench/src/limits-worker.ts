/**
 * Floors measured on their own, each in a fresh Node process so startup and peak RSS are counted the same
 * way as for the CLI:
 *
 *   node limits-worker.js startup                          nothing (Node's own start-up and exit)
 *   node limits-worker.js stat <projects-dir>              walk the tree and stat every file (a no-op import's floor)
 *   node limits-worker.js read <projects-dir>              read every file in 1 MiB chunks and split it into lines
 *   node limits-worker.js parse <projects-dir>             … and JSON.parse every line, summing usage deduplicated
 *                                                          per (message.id, requestId) keeping the largest
 *   node limits-worker.js sqlite <db> <rows> <bytes>       insert <rows> turn-shaped rows with <bytes> of content
 *
 * Each prints one JSON object on stdout.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

function listFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, out);
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) out.push(full);
  }
  return out;
}

function statTree(dir: string): Record<string, number> {
  let bytes = 0;
  const files = listFiles(dir);
  for (const file of files) bytes += fs.statSync(file).size;
  return { files: files.length, bytes };
}

interface Usage {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

function readTree(dir: string, parse: boolean): Record<string, number> {
  const chunk = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  let bytes = 0;
  let parsed = 0;
  const usage = new Map<string, Usage>();
  const onLine = (text: string) => {
    lines++;
    if (!parse) return;
    const record = JSON.parse(text) as {
      type?: string;
      requestId?: string;
      message?: { id?: string; usage?: Record<string, number> };
    };
    parsed++;
    const u = record.message?.usage;
    if (record.type !== 'assistant' || !u || !record.message?.id) return;
    const key = `${record.message.id}:${record.requestId ?? ''}`;
    const next: Usage = {
      input: u.input_tokens ?? 0,
      output: u.output_tokens ?? 0,
      cacheCreation: u.cache_creation_input_tokens ?? 0,
      cacheRead: u.cache_read_input_tokens ?? 0,
    };
    const prev = usage.get(key);
    const sum = (x: Usage) => x.input + x.output + x.cacheCreation + x.cacheRead;
    if (!prev || sum(next) > sum(prev)) usage.set(key, next);
  };
  for (const file of listFiles(dir)) {
    const fd = fs.openSync(file, 'r');
    let carry: Buffer | undefined;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      bytes += n;
      let view = chunk.subarray(0, n);
      if (carry) {
        view = Buffer.concat([carry, view]);
        carry = undefined;
      }
      let start = 0;
      for (;;) {
        const nl = view.indexOf(10, start);
        if (nl < 0) break;
        if (nl > start) onLine(view.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (start < view.length) carry = Buffer.from(view.subarray(start));
    }
    if (carry && carry.length > 0) onLine(carry.toString('utf8'));
    fs.closeSync(fd);
  }
  const totals = { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 };
  for (const u of usage.values()) {
    totals.input_tokens += u.input;
    totals.output_tokens += u.output;
    totals.cache_creation_tokens += u.cacheCreation;
    totals.cache_read_tokens += u.cacheRead;
  }
  return { lines, bytes, parsed, messages: usage.size, ...(parse ? totals : {}) };
}

interface Statement {
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): Statement;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}

/**
 * Rows shaped like the store's turn rows (docs/data-model.md), inserted as fast as better-sqlite3 allows. Their ids
 * are hash-ordered as the store's are (UUIDv5): each insert lands at a random place in the primary-key index, whose
 * pages stop fitting SQLite's page cache as the table grows, so the cost per row grows with the row count.
 */
function sqliteInsert(dbPath: string, rows: number, contentBytes: number): Record<string, number> {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (file: string) => SqliteDatabase;
  // Each sample starts from no database (a measurement may be repeated on the same path).
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${dbPath}${suffix}`, { force: true });
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE turns (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, commit_id TEXT, role TEXT NOT NULL, content TEXT,
    timestamp TEXT NOT NULL, tool_calls TEXT, model TEXT, message_id TEXT, request_id TEXT,
    is_sidechain INTEGER NOT NULL DEFAULT 0, agent_id TEXT, cwd TEXT, input_tokens INTEGER, output_tokens INTEGER,
    cache_creation_tokens INTEGER, cache_creation_1h_tokens INTEGER, cache_read_tokens INTEGER,
    version INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL, deleted_at TEXT, device_id TEXT, machine_id TEXT
  );
  CREATE INDEX turns_session_idx ON turns (session_id, timestamp);`);
  const insert = db.prepare(
    `INSERT INTO turns (id, session_id, commit_id, role, content, timestamp, tool_calls, model, message_id, request_id,
      is_sidechain, agent_id, cwd, input_tokens, output_tokens, cache_creation_tokens, cache_creation_1h_tokens,
      cache_read_tokens, updated_at, device_id, machine_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(
    Math.ceil((contentBytes + 64) / 78) + 1,
  );
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  /** A UUIDv5-shaped id: the SHA-1 of a name, in the store's layout (version and variant nibbles set). */
  const uuid = (n: number, salt: number) => {
    const h = createHash('sha1').update(`${salt}:${n}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  // The store's import settings for a large first import (local-store TranscriptImport): a 16 MiB page cache and
  // no automatic checkpoint while it writes.
  db.pragma('cache_size = -16384');
  db.pragma('wal_autocheckpoint = 0');
  const started = performance.now();
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const session = Math.floor(i / 35);
      const content = filler.slice(i % 64, (i % 64) + contentBytes);
      const assistant = i % 2 === 1;
      insert.run(
        uuid(i, 0x7475726e),
        uuid(session, 0x73657373),
        uuid(Math.floor(i / 200), 0x636f6d6d),
        assistant ? 'assistant' : 'user',
        content,
        new Date(1_780_000_000_000 + i * 7_000).toISOString(),
        assistant ? '[{"name":"Read"}]' : null,
        assistant ? 'claude-sonnet-4-5-20250929' : null,
        assistant ? `msg_01${hex(i, 22)}` : null,
        assistant ? `req_011C${hex(i, 20)}` : null,
        0,
        null,
        '/home/dev/code/agentlogs',
        assistant ? 6 : null,
        assistant ? 410 : null,
        assistant ? 900 : null,
        0,
        assistant ? 45_000 : null,
        '2026-11-01T00:00:00.000Z',
        'device',
        'machine',
      );
    }
  });
  for (let from = 0; from < rows; from += 5_000) batch(from, Math.min(rows, from + 5_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const ms = performance.now() - started;
  db.close();
  const size = fs.statSync(dbPath).size;
  return { rows, content_bytes: contentBytes, insert_ms: ms, rows_per_s: rows / (ms / 1000), db_bytes: size };
}

const [mode, ...args] = process.argv.slice(2);
let result: Record<string, number>;
switch (mode) {
  case 'startup':
    result = {};
    break;
  case 'stat':
    result = statTree(args[0]!);
    break;
  case 'read':
    result = readTree(args[0]!, false);
    break;
  case 'parse':
    result = readTree(args[0]!, true);
    break;
  case 'sqlite':
    result = sqliteInsert(args[0]!, Number(args[1]), Number(args[2]));
    break;
  default:
    process.stderr.write(`unknown mode ${String(mode)}: use startup | stat | read | parse | sqlite\n`);
    process.exit(2);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
