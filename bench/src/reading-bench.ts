/**
 * `pnpm bench -- --only reading`: what reading the stored sessions costs, on the synthetic tree.
 *
 * - indexing overhead: the first import of the tree with the search index against the same import into a
 *   database whose index was dropped beforehand (same built CLI, same schema otherwise; runs alternate);
 * - search: queries over every turn (a word, a phrase, a prefix, a filtered query), timed in-process on the
 *   built local-store, and `agentlogs search` end to end;
 * - the dashboard's first page: from starting `agentlogs ui` to the page, its script and the first page's data
 *   (the cost series) answered;
 * - a 5,000-turn session read as the dashboard scrolls it: 100 turns per request, each page's time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { median, type ProcessRun, runMeasured } from './measure.js';
import { table } from './report.js';
import { ensureClaudeTree } from './tree-cache.js';

export interface ReadingBenchOptions {
  repoRoot: string;
  log: (line: string) => void;
  sessions?: number;
  seed?: number;
  runs?: number;
}

interface Target {
  what: string;
  measured: string;
  target: string;
  met: boolean;
}

const LONG_SESSION_TURNS = 5000;
const PAGE = 100;

export async function runReadingBench(options: ReadingBenchOptions) {
  const { repoRoot, log } = options;
  const sessions = options.sessions ?? 2000;
  const runs = options.runs ?? 3;
  const bin = path.join(repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  const tree = ensureClaudeTree(path.join(repoRoot, 'bench', '.cache'), {
    sessions,
    seed: options.seed ?? 1,
  });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-reading-'));
  const empty = path.join(scratch, 'empty');
  fs.mkdirSync(empty);
  const envFor = (home: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: empty,
    AGENTLOGS_HOME: home,
    AGENTLOGS_SYNC_ENABLED: 'false',
  });
  try {
    // 1. Indexing overhead of the first import.
    const imports: Record<'indexed' | 'unindexed', ProcessRun[]> = { indexed: [], unindexed: [] };
    let home = '';
    for (let run = 0; run < runs; run++) {
      for (const kind of ['unindexed', 'indexed'] as const) {
        home = path.join(scratch, `${kind}-${run}`);
        const prepared = await runMeasured(process.execPath, [bin, 'import', '--claude-dir', empty], {
          env: envFor(home),
        });
        if (prepared.exitCode !== 0) throw new Error(`agentlogs import failed: ${prepared.stderr.trim()}`);
        if (kind === 'unindexed') await dropSearchIndex(home);
        const timed = await runMeasured(
          process.execPath,
          [bin, 'import', '--claude-dir', tree.root, '--json'],
          {
            env: envFor(home),
          },
        );
        if (timed.exitCode !== 0) throw new Error(`agentlogs import failed: ${timed.stderr.trim()}`);
        imports[kind].push(timed);
        log(
          `first import, ${kind}: ${(timed.wallMs / 1000).toFixed(2)} s wall, ${(timed.cpuMs / 1000).toFixed(2)} s CPU`,
        );
        if (kind === 'unindexed' || run < runs - 1) fs.rmSync(home, { recursive: true, force: true });
      }
    }
    const wall = (k: keyof typeof imports) => median(imports[k].map((r) => r.wallMs));
    const cpu = (k: keyof typeof imports) => median(imports[k].map((r) => r.cpuMs));
    const overheadWall = (wall('indexed') / wall('unindexed') - 1) * 100;
    const overheadCpu = (cpu('indexed') / cpu('unindexed') - 1) * 100;

    // A 5,000-turn session, imported into the same database.
    const longDir = path.join(scratch, 'long', 'projects', 'long-session');
    fs.mkdirSync(longDir, { recursive: true });
    const longId = writeLongSession(path.join(longDir, 'long.jsonl'), LONG_SESSION_TURNS);
    const longImport = await runMeasured(
      process.execPath,
      [bin, 'import', '--claude-dir', path.dirname(longDir)],
      {
        env: envFor(home),
      },
    );
    if (longImport.exitCode !== 0) throw new Error(`agentlogs import failed: ${longImport.stderr.trim()}`);

    // 2. Search, in-process on the built store, then end to end.
    const store = (await import('@agentlogs/local-store')) as typeof import('@agentlogs/local-store');
    const database = store.openLocalDatabase({ dir: home });
    const status = store.searchStatus(database.sqlite);
    const queries: { name: string; text: string; filter?: Record<string, string> }[] = [
      { name: 'word', text: 'migration' },
      { name: 'two words', text: 'cargo test' },
      { name: 'phrase', text: '"the progress bar flickers"' },
      { name: 'prefix', text: 'paginat*' },
      { name: 'word, one project', text: 'migration', filter: { project: 'api' } },
    ];
    const searchRows: { name: string; ms: number; total: number }[] = [];
    for (const q of queries) {
      const match = store.toMatchQuery(q.text)!;
      store.searchTurns(database, match, q.filter ?? {}); // warm
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        total = store.searchTurns(database, match, q.filter ?? {}).total;
        times.push(performance.now() - started);
      }
      searchRows.push({ name: q.name, ms: median(times), total });
      log(`search ${q.text}: ${median(times).toFixed(1)} ms, ${total} turns`);
    }
    await database.close();
    const cliSearch = await runMeasured(process.execPath, [bin, 'search', 'migration', '--json'], {
      env: envFor(home),
    });
    const slowestSearch = Math.max(...searchRows.map((r) => r.ms));

    // 3 and 4. The dashboard.
    const dashboard = await measureDashboard(bin, envFor(home), longId);
    log(`dashboard first page: ${dashboard.firstPageMs.toFixed(0)} ms`);

    const targets: Target[] = [
      {
        what: 'search over every turn (slowest query, in-process)',
        measured: `${slowestSearch.toFixed(1)} ms`,
        target: '< 100 ms',
        met: slowestSearch < 100,
      },
      {
        what: 'indexing added to the first import',
        measured: `${overheadWall.toFixed(0)} % wall, ${overheadCpu.toFixed(0)} % CPU`,
        target: '< 30 %',
        met: overheadCpu < 30,
      },
      {
        what: 'dashboard first page ready (start to page, script and cost data)',
        measured: `${dashboard.firstPageMs.toFixed(0)} ms`,
        target: '< 1000 ms',
        met: dashboard.firstPageMs < 1000,
      },
      {
        what: `${LONG_SESSION_TURNS.toLocaleString('en-US')}-turn session scrolled ${PAGE} turns per request`,
        measured: `first page ${dashboard.longFirstMs.toFixed(0)} ms, slowest of ${dashboard.longPages} pages ${dashboard.longSlowestMs.toFixed(0)} ms, at most ${dashboard.longMaxTurns} turns per request`,
        target: 'never all at once',
        met: dashboard.longMaxTurns <= PAGE && dashboard.longLoaded === LONG_SESSION_TURNS,
      },
    ];
    const lines = [
      table(
        ['reading', 'measured', 'target', 'status'],
        targets.map((t) => [t.what, t.measured, t.target, t.met ? 'met' : 'missed']),
      ),
      '',
      table(
        ['search query', 'median ms', 'matching turns'],
        searchRows.map((r) => [r.name, r.ms.toFixed(1), r.total.toLocaleString('en-US')]),
      ),
      '',
      `first import: ${(wall('indexed') / 1000).toFixed(2)} s with the index, ${(wall('unindexed') / 1000).toFixed(2)} s without (medians of ${runs}; CPU ${(cpu('indexed') / 1000).toFixed(2)} s vs ${(cpu('unindexed') / 1000).toFixed(2)} s); ` +
        `index ${(status.indexBytes / 1e6).toFixed(1)} MB for ${status.turns.toLocaleString('en-US')} turns; ` +
        `'agentlogs search migration --json' end to end ${cliSearch.wallMs.toFixed(0)} ms (Node start-up included)`,
    ];
    return {
      table: lines.join('\n'),
      targets,
      search: { queries: searchRows, cli_ms: cliSearch.wallMs },
      import: {
        indexed_wall_ms: wall('indexed'),
        unindexed_wall_ms: wall('unindexed'),
        indexed_cpu_ms: cpu('indexed'),
        unindexed_cpu_ms: cpu('unindexed'),
        overhead_wall_pct: overheadWall,
        overhead_cpu_pct: overheadCpu,
        samples: imports,
      },
      index: status,
      dashboard,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The database as it would be without the search index: its table, queue and triggers dropped. */
async function dropSearchIndex(home: string): Promise<void> {
  const database = openLocalDatabase({ dir: home });
  try {
    database.sqlite.exec(`drop trigger turns_search_insert; drop trigger turns_search_update;
      drop trigger turns_search_delete; drop table turn_search; drop table turn_search_pending;
      drop index idx_turns_locked;`);
  } finally {
    await database.close();
  }
}

/** A Claude Code transcript of `turns` turns (prompts and answers alternating); returns its session id. */
function writeLongSession(file: string, turns: number): string {
  const sessionId = '5e55a000-0000-4000-8000-000000005000';
  const start = Date.parse('2026-11-20T09:00:00.000Z');
  const lines: string[] = [];
  let parent: string | null = null;
  for (let i = 0; i < turns; i++) {
    const uuid = `5e55a000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const timestamp = new Date(start + i * 1000).toISOString();
    const base = {
      parentUuid: parent,
      isSidechain: false,
      userType: 'external',
      cwd: '/home/bench/long',
      sessionId,
      version: '2.1.3',
      uuid,
      timestamp,
    };
    if (i % 2 === 0) {
      lines.push(
        JSON.stringify({
          ...base,
          type: 'user',
          message: {
            role: 'user',
            content: `step ${i}: run the next migration and check the pagination cursor`,
          },
        }),
      );
    } else {
      lines.push(
        JSON.stringify({
          ...base,
          type: 'assistant',
          requestId: `req_${i}`,
          message: {
            id: `msg_${i}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-5-20250929',
            content: [
              {
                type: 'text',
                text: `Done with step ${i}; the migration ran and the cursor moved to page ${i}.`,
              },
            ],
            stop_reason: 'end_turn',
            usage: {
              input_tokens: 10,
              output_tokens: 20,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: 100,
            },
          },
        }),
      );
    }
    parent = uuid;
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return sessionId;
}

async function measureDashboard(bin: string, env: NodeJS.ProcessEnv, longNativeId: string) {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'ui', '--no-open'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out)?.[0];
        if (found) resolve(found);
      });
      child.on('exit', (code) => reject(new Error(`agentlogs ui exited ${code}`)));
    });
    const base = url.slice(0, url.indexOf('/?'));
    const token = new URL(url).searchParams.get('token')!;
    const get = async (route: string) => {
      const response = await fetch(`${base}${route}`, { headers: { 'x-agentlogs-token': token } });
      if (!response.ok) throw new Error(`GET ${route}: ${response.status}`);
      return response;
    };
    await (await get('/')).text();
    await (await get('/app.js')).text();
    await (await get('/api/costs?by=machine')).json();
    const firstPageMs = performance.now() - started;
    const { sessions } = (await (await get(`/api/sessions?limit=5000`)).json()) as {
      sessions: { id: string; native_id: string }[];
    };
    const long = sessions.find((s) => s.native_id === longNativeId);
    if (!long) throw new Error('the long session is not listed');
    const times: number[] = [];
    let loaded = 0;
    let maxTurns = 0;
    for (;;) {
      const t = performance.now();
      const page = (await (
        await get(`/api/sessions/${long.id}/turns?offset=${loaded}&limit=${PAGE}`)
      ).json()) as {
        turns: unknown[];
        total: number;
      };
      times.push(performance.now() - t);
      loaded += page.turns.length;
      maxTurns = Math.max(maxTurns, page.turns.length);
      if (page.turns.length === 0 || loaded >= page.total) break;
    }
    return {
      firstPageMs,
      longFirstMs: times[0]!,
      longMedianMs: median(times),
      longSlowestMs: Math.max(...times),
      longPages: times.length,
      longLoaded: loaded,
      longMaxTurns: maxTurns,
    };
  } finally {
    child.kill('SIGTERM');
  }
}
