/**
 * The sync part of `pnpm bench`: 100,000 turn rows, as the synthetic Claude Code tree yields them after
 * import (content included), pushed through supabase-js → the PostgREST stand-in → PostgreSQL 17 and
 * pulled back; on the same server in the same run, the raw limit (one `INSERT … SELECT … FROM
 * jsonb_to_recordset(…)` of the same rows); and the cost of a sync with nothing to do (round trips).
 */

import { Worker } from 'node:worker_threads';
import { ClaudeAssembler, readClaudeLine, type TurnRecord } from '@agentlogs/ingest';
import { createSupabaseRemote } from '@agentlogs/supabase-remote';
import {
  type AcceptedRecord,
  type ApplyResult,
  type DeadLetter,
  type LocalStore,
  recordByteSize,
  type ServerRecord,
  SyncEngine,
  type SyncRecord,
  type TableSummary,
} from '@agentlogs/sync-core';
import { MemoryLocalStore } from '@agentlogs/sync-core/testing';
import { SERVER_SETTINGS, startTestBackend } from '@agentlogs/test-backend';
import pg from 'pg';
import { generateSession, treeProjects } from './claude-tree.js';

export interface SyncBenchOptions {
  log?: (message: string) => void;
  /** Turn rows to push (default 100,000, or `AGENTLOGS_BENCH_SYNC_ROWS`). */
  rows?: number;
  /** SyncEngine's pushConcurrency for the push (default: the engine's default, or `AGENTLOGS_BENCH_PUSH_CONCURRENCY`). */
  pushConcurrency?: number;
  seed?: number;
}

export interface SyncBenchResult {
  available: true;
  rows: number;
  avgRowBytes: number;
  totalMB: number;
  postgres: string;
  /** The server settings the run used (`SERVER_SETTINGS['production-like']` of the test backend). */
  serverSettings: string;
  push: {
    seconds: number;
    rowsPerSecond: number;
    requests: number;
    batchRows: number;
    batchBytes: number;
    /** Push requests the engine keeps in flight (SyncEngine's `pushConcurrency`). */
    concurrency: number;
  };
  /** The same push with one request at a time (`pushConcurrency: 1`), at the end of the run, for another user. */
  pushOneAtATime: { seconds: number; rowsPerSecond: number; requests: number };
  pull: { seconds: number; rowsPerSecond: number; requests: number; pageRows: number };
  raw: { seconds: number; rowsPerSecond: number; statement: string };
  /** sync_push called over a plain pg connection with the same batches: the SQL's share of the push. */
  serverPush: { seconds: number; rowsPerSecond: number };
  /** sync_pull called over a plain pg connection: the SQL's share of the pull. */
  serverPull: { seconds: number; rowsPerSecond: number };
  /** The raw limit of a pull: the same rows as JSON in one `select json_agg(t)`, same server. */
  rawExport: { seconds: number; rowsPerSecond: number };
  pushVsRaw: number;
  noopSync: { roundTrips: number; milliseconds: number };
  engineCatchUp: { seconds: number; rowsPerSecond: number };
  targets: {
    pushRowsPerSecond: number;
    pushVsRaw: number;
    pullRowsPerSecond: number;
    noopRoundTrips: number;
  };
  met: { push: boolean; pushVsRaw: boolean; pull: boolean; noop: boolean };
  table: string;
}

const DEVICE = 'bench-device-0001';
const BATCH_ROWS = 500; // SyncEngine's default batchSize
const BATCH_BYTES = 1024 * 1024; // SyncEngine's default batchBytes
const PAGE_ROWS = 1000; // SyncEngine's default pullLimit
const PUSH_CONCURRENCY = 2; // SyncEngine's default pushConcurrency
const SYNCED_TABLES = ['machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals'];

/** Turn rows from generated sessions, assembled by the importer's own ClaudeAssembler. */
export function benchTurnRows(count: number, seed = 1): SyncRecord[] {
  const projects = treeProjects(seed);
  const rows: SyncRecord[] = [];
  for (let index = 0; rows.length < count; index++) {
    const { files } = generateSession(seed, index, projects);
    for (const file of files) {
      const assembler = new ClaudeAssembler(file.relativePath, null, false);
      const lines = file.content.split('\n');
      for (let n = 0; n < lines.length; n++) {
        const line = readClaudeLine(lines[n] ?? '');
        if (line?.kind === 'message') assembler.add(line, n + 1);
      }
      for (const turn of assembler.takeBatch().turns.values()) {
        rows.push(turnRecord(turn));
        if (rows.length >= count) break;
      }
      if (rows.length >= count) break;
    }
  }
  return rows;
}

function turnRecord(t: TurnRecord): SyncRecord {
  return {
    table: 'turns',
    id: t.id,
    version: 1,
    updatedAt: new Date(Date.parse(t.timestamp)).toISOString(),
    deletedAt: null,
    deviceId: DEVICE,
    payload: {
      machine_id: 'bench-machine',
      session_id: t.sessionId,
      commit_id: t.commitId,
      role: t.role,
      content: t.content,
      timestamp: new Date(Date.parse(t.timestamp)).toISOString(),
      tool_calls: t.toolCalls.length > 0 ? JSON.stringify(t.toolCalls) : null,
      triggers_visual: 0,
      model: t.model,
      message_id: t.messageId,
      request_id: t.requestId,
      is_sidechain: t.isSidechain ? 1 : 0,
      agent_id: t.agentId,
      cwd: t.cwd,
      input_tokens: t.usage?.input ?? null,
      output_tokens: t.usage?.output ?? null,
      cache_creation_tokens: t.usage?.cacheCreation ?? null,
      cache_creation_1h_tokens: t.usage?.cacheCreation1h ?? null,
      cache_read_tokens: t.usage?.cacheRead ?? null,
      reasoning_tokens: t.usage?.reasoning ?? null,
      cost_usd: t.costUsd,
      speed: t.speed,
    },
  };
}

function batches(records: SyncRecord[]): SyncRecord[][] {
  const out: SyncRecord[][] = [];
  let current: SyncRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordByteSize(record);
    if (current.length > 0 && (current.length >= BATCH_ROWS || bytes + size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export async function runSyncBench(options: SyncBenchOptions = {}): Promise<SyncBenchResult> {
  const log = options.log ?? (() => {});
  const count = options.rows ?? Number(process.env.AGENTLOGS_BENCH_SYNC_ROWS ?? 100_000);
  log(`sync: building ${count} turn rows from the synthetic tree`);
  const records = benchTurnRows(count, options.seed ?? 1);
  const totalBytes = records.reduce((sum, r) => sum + recordByteSize(r), 0);
  const avgRowBytes = Math.round(totalBytes / records.length);

  log('sync: starting PostgreSQL and the stand-in (schema pushed with the Supabase CLI)');
  // Durable, production-like server settings (fsync, synchronous commit and full-page writes on).
  const backend = await startTestBackend({ serverSettings: 'production-like' });
  // The stand-in that supabase-js talks to runs on its own thread (see stand-in-worker.ts).
  const server = await startStandInThread(backend.databaseUrl, backend.jwtSecret);
  try {
    let requests = 0;
    const countingFetch: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const user = await backend.createUser({ githubLogin: 'bench' });
    const remote = createSupabaseRemote({
      url: server.url,
      anonKey: server.anonKey,
      accessToken: async () => user.accessToken,
      fetch: countingFetch,
      timeoutMs: 300_000,
    });
    const { rows: version } = await backend.standIn.adminPool.query<{ v: string }>('select version() as v');

    // Push: SyncEngine sends the rows, held as pending changes, through the remote.
    const concurrency =
      options.pushConcurrency ?? Number(process.env.AGENTLOGS_BENCH_PUSH_CONCURRENCY ?? PUSH_CONCURRENCY);
    const pushBatches = batches(records);
    log(
      `sync: SyncEngine pushes ${records.length} rows (about ${pushBatches.length} requests, ${concurrency} in flight)`,
    );
    requests = 0;
    const pushed = await enginePush(remote, records, concurrency);
    const pushSeconds = pushed.seconds;
    const pushRequests = requests;

    // Pull everything back, page by page.
    log('sync: pulling them back');
    requests = 0;
    let start = process.hrtime.bigint();
    let cursor = 0;
    let pulled = 0;
    let last: ServerRecord | undefined;
    for (;;) {
      const page = await remote.pull({ cursor, limit: PAGE_ROWS });
      pulled += page.records.length;
      last = page.records.at(-1) ?? last;
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    const pullSeconds = seconds(start);
    const pullRequests = requests;
    if (pulled !== records.length) throw new Error(`pulled ${pulled} of ${records.length}`);
    if (last && JSON.stringify(last.payload.content) === undefined)
      throw new Error('pulled rows lack content');

    // The same pages straight from Postgres (no HTTP, no supabase-js): the server's own share of a pull.
    const serverPull = await sqlOnlyPull(backend.databaseUrl, user.id, records.length);
    const rawExport = await rawJsonExport(backend.databaseUrl, user.id, records.length);

    // The same batches straight into sync_push over pg (no HTTP, no supabase-js), for another user.
    log('sync: the same push over a plain pg connection');
    const serverPush = await sqlOnlyPush(
      backend.databaseUrl,
      (await backend.createUser({ githubLogin: 'bench-sql' })).id,
      pushBatches,
    );

    // The raw limit: the same rows in one INSERT … SELECT … FROM jsonb_to_recordset(…), same server.
    log('sync: raw bulk insert of the same rows');
    const raw = await rawInsert(
      backend.databaseUrl,
      await backend.createUser({ githubLogin: 'bench-raw' }),
      records,
    );

    // The engine catching a fresh device up, then a sync with nothing to do.
    log('sync: a fresh device catches up through SyncEngine, then syncs with nothing to do');
    const store = new MemoryLocalStore({ deviceId: 'bench-device-0002' });
    const engine = new SyncEngine({ store, remote, tables: SYNCED_TABLES });
    start = process.hrtime.bigint();
    const catchUp = await engine.sync();
    const catchUpSeconds = seconds(start);
    if (catchUp.pull.records !== records.length) throw new Error(`catch-up pulled ${catchUp.pull.records}`);
    requests = 0;
    start = process.hrtime.bigint();
    await engine.sync();
    const noopMs = seconds(start) * 1000;
    const noopTrips = requests;

    // The same push one request at a time, last, so the figures above are measured as before it.
    log('sync: the same push with one request at a time (pushConcurrency 1), for another user');
    const other = await backend.createUser({ githubLogin: 'bench-one-at-a-time' });
    requests = 0;
    const oneAtATime = await enginePush(
      createSupabaseRemote({
        url: server.url,
        anonKey: server.anonKey,
        accessToken: async () => other.accessToken,
        fetch: countingFetch,
        timeoutMs: 300_000,
      }),
      records,
      1,
    );
    const oneAtATimeRequests = requests;

    const pushRate = records.length / pushSeconds;
    const pullRate = records.length / pullSeconds;
    const pushVsRaw = pushRate / raw.rowsPerSecond;
    const result: Omit<SyncBenchResult, 'table'> = {
      available: true,
      rows: records.length,
      avgRowBytes,
      totalMB: Math.round(totalBytes / 1e5) / 10,
      postgres: version[0]?.v.split(' on ')[0] ?? 'PostgreSQL',
      serverSettings: SERVER_SETTINGS['production-like'].join(' '),
      push: {
        seconds: pushSeconds,
        rowsPerSecond: pushRate,
        requests: pushRequests,
        batchRows: BATCH_ROWS,
        batchBytes: BATCH_BYTES,
        concurrency,
      },
      pushOneAtATime: {
        seconds: oneAtATime.seconds,
        rowsPerSecond: records.length / oneAtATime.seconds,
        requests: oneAtATimeRequests,
      },
      pull: { seconds: pullSeconds, rowsPerSecond: pullRate, requests: pullRequests, pageRows: PAGE_ROWS },
      raw,
      serverPush,
      serverPull,
      rawExport,
      pushVsRaw,
      noopSync: { roundTrips: noopTrips, milliseconds: noopMs },
      engineCatchUp: { seconds: catchUpSeconds, rowsPerSecond: records.length / catchUpSeconds },
      targets: { pushRowsPerSecond: 20_000, pushVsRaw: 0.5, pullRowsPerSecond: 40_000, noopRoundTrips: 1 },
      met: {
        push: pushRate >= 20_000,
        pushVsRaw: pushVsRaw >= 0.5,
        pull: pullRate >= 40_000,
        noop: noopTrips <= 1,
      },
    };
    return { ...result, table: formatSyncBench(result) };
  } finally {
    await server.close();
    await backend.close();
  }
}

/**
 * Pushes `records` through a SyncEngine over `remote`, the way `agentlogs push` does, and times it. The
 * records are held as pending changes by a `PushOutbox` over sync-core's reference in-memory store.
 */
async function enginePush(
  remote: ReturnType<typeof createSupabaseRemote>,
  records: SyncRecord[],
  pushConcurrency: number,
): Promise<{ seconds: number }> {
  const store = new PushOutbox(new MemoryLocalStore({ deviceId: DEVICE }), records);
  const engine = new SyncEngine({
    store,
    remote,
    tables: SYNCED_TABLES,
    batchSize: BATCH_ROWS,
    batchBytes: BATCH_BYTES,
    pushConcurrency,
  });
  const start = process.hrtime.bigint();
  const report = await engine.push();
  const elapsed = seconds(start);
  if (report.accepted !== records.length) {
    throw new Error(`push accepted ${report.accepted} of ${records.length} (${JSON.stringify(report)})`);
  }
  const left = Object.values(await store.pendingCounts(SYNCED_TABLES)).reduce((sum, k) => sum + k, 0);
  if (left !== 0) throw new Error(`${left} records still pending after the push`);
  return { seconds: elapsed };
}

/**
 * sync-core's in-memory reference store, holding the bench's records as pending changes, with an index for
 * `pendingChanges`: the reference store filters and sorts every record it holds on each call (≈ 270 ms at
 * 100,000 rows, more than a push request), which would time the test model instead of the push. The index
 * keeps the records in the reference store's order and serves the next pending ones from where the last call
 * left off; pending or not is still the reference store's answer, and every other call goes to it. The bench
 * never edits a record, so the held copy is the one sent.
 */
export class PushOutbox implements LocalStore {
  private readonly ordered: SyncRecord[];
  /** Each record's JSON size, known from when it was written (as a store keeping a size column knows it). */
  private readonly sizes = new Map<SyncRecord, number>();
  private first = 0;

  constructor(
    private readonly store: MemoryLocalStore,
    records: SyncRecord[],
  ) {
    for (const record of records) {
      store.put(record);
      this.sizes.set(record, recordByteSize(record));
    }
    const order = new Map(SYNCED_TABLES.map((table, index) => [table, index]));
    this.ordered = [...records].sort((a, b) => {
      const byTable = (order.get(a.table) ?? 0) - (order.get(b.table) ?? 0);
      return byTable !== 0 ? byTable : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }

  async pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
  }): Promise<SyncRecord[]> {
    const tables = new Set(options.tables);
    while (this.first < this.ordered.length) {
      const head = this.ordered[this.first] as SyncRecord;
      if (this.store.isPending(head.table, head.id)) break;
      this.first += 1;
    }
    const out: SyncRecord[] = [];
    let bytes = 0;
    for (let i = this.first; i < this.ordered.length && out.length < options.limit; i++) {
      const record = this.ordered[i] as SyncRecord;
      if (!tables.has(record.table) || !this.store.isPending(record.table, record.id)) continue;
      const size = this.sizes.get(record) ?? recordByteSize(record);
      if (out.length > 0 && bytes + size > options.maxBytes) break;
      out.push(record);
      bytes += size;
    }
    return out;
  }

  deviceId(): Promise<string> {
    return this.store.deviceId();
  }
  pendingCounts(tables: readonly string[]): Promise<Record<string, number>> {
    return this.store.pendingCounts(tables);
  }
  markPushed(accepted: AcceptedRecord[]): Promise<void> {
    return this.store.markPushed(accepted);
  }
  applyServerRecords(records: ServerRecord[], cursor?: number): Promise<ApplyResult> {
    return this.store.applyServerRecords(records, cursor);
  }
  getCursor(): Promise<number> {
    return this.store.getCursor();
  }
  beginFullResync(): Promise<void> {
    return this.store.beginFullResync();
  }
  finishFullResync(): Promise<void> {
    return this.store.finishFullResync();
  }
  deadLetter(letters: DeadLetter[]): Promise<void> {
    return this.store.deadLetter(letters);
  }
  listDeadLetters(): Promise<DeadLetter[]> {
    return this.store.listDeadLetters();
  }
  retryDeadLetters(): Promise<number> {
    return this.store.retryDeadLetters();
  }
  summarize(tables: readonly string[]): Promise<TableSummary[]> {
    return this.store.summarize(tables);
  }
}

export async function startStandInThread(
  databaseUrl: string,
  jwtSecret: string,
): Promise<{ url: string; anonKey: string; close(): Promise<void> }> {
  const worker = new Worker(new URL('./stand-in-worker.js', import.meta.url), {
    workerData: { databaseUrl, jwtSecret },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = await new Promise<{ url: string; anonKey: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the stand-in thread exited with ${code}`)));
  });
  return {
    ...started,
    async close() {
      worker.postMessage('close');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await worker.terminate();
    },
  };
}

/**
 * Runs `use` on a plain pg connection to the bench database, closed afterwards. With `asUser`, the connection
 * carries that user's JWT claims, as the stand-in sets them for each request.
 */
async function withClient<T>(
  databaseUrl: string,
  use: (client: pg.Client) => Promise<T>,
  asUser?: string,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (asUser) {
      await client.query(`select set_config('request.jwt.claims', $1, false)`, [
        JSON.stringify({ sub: asUser, role: 'authenticated' }),
      ]);
    }
    return await use(client);
  } finally {
    await client.end();
  }
}

async function sqlOnlyPush(
  databaseUrl: string,
  userId: string,
  pushBatches: SyncRecord[][],
): Promise<SyncBenchResult['serverPush']> {
  return withClient(
    databaseUrl,
    async (client) => {
      const start = process.hrtime.bigint();
      let rows = 0;
      for (const batch of pushBatches) {
        const { rows: result } = await client.query<{ body: string }>(
          'select public.sync_push($1::jsonb)::text as body',
          [JSON.stringify({ deviceId: DEVICE, records: batch })],
        );
        rows += (JSON.parse(result[0]?.body ?? '{}') as { accepted: unknown[] }).accepted.length;
      }
      const elapsed = seconds(start);
      const expected = pushBatches.reduce((sum, batch) => sum + batch.length, 0);
      if (rows !== expected) throw new Error(`server-only push accepted ${rows} of ${expected}`);
      return { seconds: elapsed, rowsPerSecond: rows / elapsed };
    },
    userId,
  );
}

async function sqlOnlyPull(
  databaseUrl: string,
  userId: string,
  expected: number,
): Promise<SyncBenchResult['serverPull']> {
  return withClient(
    databaseUrl,
    async (client) => {
      const start = process.hrtime.bigint();
      let cursor = 0;
      let rows = 0;
      for (;;) {
        const { rows: result } = await client.query<{ page: string }>(
          'select public.sync_pull($1, $2)::text as page',
          [cursor, PAGE_ROWS],
        );
        const page = JSON.parse(result[0]?.page ?? '{}') as {
          records: unknown[];
          nextCursor: number;
          hasMore: boolean;
        };
        rows += page.records.length;
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      const elapsed = seconds(start);
      if (rows !== expected) throw new Error(`server-only pull read ${rows} of ${expected}`);
      return { seconds: elapsed, rowsPerSecond: rows / elapsed };
    },
    userId,
  );
}

async function rawJsonExport(
  databaseUrl: string,
  userId: string,
  expected: number,
): Promise<SyncBenchResult['rawExport']> {
  return withClient(databaseUrl, async (client) => {
    const start = process.hrtime.bigint();
    const { rows } = await client.query<{ n: number; body: string }>(
      'select count(*)::int as n, json_agg(t)::text as body from public.turns t where t.user_id = $1',
      [userId],
    );
    const elapsed = seconds(start);
    if (rows[0]?.n !== expected) throw new Error(`raw export read ${rows[0]?.n} of ${expected}`);
    return { seconds: elapsed, rowsPerSecond: expected / elapsed };
  });
}

async function rawInsert(
  databaseUrl: string,
  user: { id: string },
  records: SyncRecord[],
): Promise<SyncBenchResult['raw']> {
  return withClient(databaseUrl, async (client) => {
    const { rows: columns } = await client.query<{ name: string; type: string }>(
      `select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type
         from pg_attribute a join private.payload_columns('turns') c on c.column_name = a.attname
        where a.attrelid = 'public.turns'::regclass order by a.attnum`,
    );
    const names = columns.map((c) => `"${c.name}"`).join(', ');
    const definitions = columns.map((c) => `"${c.name}" ${c.type}`).join(', ');
    const statement =
      `insert into public.turns (user_id, id, version, updated_at, deleted_at, device_id, change_seq, synced_at, ${names}) ` +
      `select $2, r.id, r.version, r.updated_at, r.deleted_at, r.device_id, r.change_seq, now(), ${columns.map((c) => `r."${c.name}"`).join(', ')} ` +
      `from jsonb_to_recordset($1::jsonb) as r(id text, version integer, updated_at timestamptz, deleted_at timestamptz, device_id text, change_seq bigint, ${definitions})`;
    const flat = records.map((r, i) => ({
      id: r.id,
      version: r.version,
      updated_at: r.updatedAt,
      deleted_at: r.deletedAt,
      device_id: r.deviceId,
      change_seq: i + 1,
      ...r.payload,
    }));
    const start = process.hrtime.bigint();
    const json = JSON.stringify(flat);
    const result = await client.query(statement, [json, user.id]);
    const elapsed = seconds(start);
    if (result.rowCount !== records.length) throw new Error(`raw insert wrote ${result.rowCount}`);
    return {
      seconds: elapsed,
      rowsPerSecond: records.length / elapsed,
      statement:
        'one INSERT … SELECT … FROM jsonb_to_recordset($1) of all rows, over one pg connection (JSON encoding included)',
    };
  });
}

function formatSyncBench(r: Omit<SyncBenchResult, 'table'>): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  return [
    `rows: ${n(r.rows)} turns, average ${n(r.avgRowBytes)} bytes of JSON each (${r.totalMB} MB); ${r.postgres}`,
    `server settings: ${r.serverSettings}`,
    'measure                         value             target          ',
    `push (supabase-js → stand-in)   ${n(r.push.rowsPerSecond).padStart(8)} rows/s   ≥ 20,000 rows/s  ${mark(r.met.push)}  (SyncEngine, ${r.push.requests} requests of ≤ ${r.push.batchRows} rows / 1 MiB, ${r.push.concurrency} in flight, ${r.push.seconds.toFixed(2)} s)`,
    `  one request at a time (info)  ${n(r.pushOneAtATime.rowsPerSecond).padStart(8)} rows/s                    (pushConcurrency 1, ${r.pushOneAtATime.requests} requests, ${r.pushOneAtATime.seconds.toFixed(2)} s, measured last)`,
    `  the SQL alone (pg, no HTTP) ${n(r.serverPush.rowsPerSecond).padStart(8)} rows/s                    (sync_push of the same batches over one pg connection: the server's share)`,
    `raw bulk insert, same server    ${n(r.raw.rowsPerSecond).padStart(8)} rows/s                    (${r.raw.seconds.toFixed(2)} s)`,
    `push / raw                      ${(r.pushVsRaw * 100).toFixed(0).padStart(8)} %        ≥ 50 %           ${mark(r.met.pushVsRaw)}`,
    `pull                            ${n(r.pull.rowsPerSecond).padStart(8)} rows/s   ≥ 40,000 rows/s  ${mark(r.met.pull)}  (${r.pull.requests} pages of ≤ ${r.pull.pageRows}, ${r.pull.seconds.toFixed(2)} s)`,
    `  the SQL alone (pg, no HTTP) ${n(r.serverPull.rowsPerSecond).padStart(8)} rows/s                    (sync_pull pages over one pg connection: the server's share)`,
    `  raw JSON export, same server ${n(r.rawExport.rowsPerSecond).padStart(8)} rows/s                    (one select json_agg(t) of the same rows: the server's JSON limit)`,
    `sync with nothing to do         ${String(r.noopSync.roundTrips).padStart(8)} round trip(s) ≤ 1          ${mark(r.met.noop)}  (${r.noopSync.milliseconds.toFixed(1)} ms)`,
    `SyncEngine catch-up (info)      ${n(r.engineCatchUp.rowsPerSecond).padStart(8)} rows/s   pull + apply into an in-memory store`,
  ].join('\n');
}
