/**
 * `pnpm bench -- --only reading`: what reading the stored sessions costs, on the synthetic tree.
 *
 * - indexing overhead: the first import of the tree with the search index against the same import into a
 *   database whose index was dropped beforehand (same built CLI, same schema otherwise; runs alternate);
 * - search: queries over every turn (a word, a phrase, a prefix, a filtered query), timed in-process on the
 *   built local-store, and `agentlogs search` end to end;
 * - the dashboard's first page: from starting `agentlogs ui` to the cost chart drawn in Debian's chromium
 *   (headless, puppeteer-core); without chromium, to the page, its script and the cost series fetched;
 * - a 5,000-turn session scrolled to its end in that browser: the turns shown first, every page the view asks
 *   for as the end of the list comes into view (request and render), and the most turns one request carried.
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
  /** A stable name for the figure, and its number (ms, %, or turns per request). */
  key: string;
  value: number;
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
    log(
      `dashboard first page: ${dashboard.firstPageMs.toFixed(0)} ms${dashboard.browser ? ' (chromium)' : ' (HTTP only: no chromium)'}; ` +
        `${LONG_SESSION_TURNS}-turn session: ${dashboard.longFirstLoaded} turns first, ${dashboard.longPages} pages, all ${dashboard.longLoaded} in ${dashboard.longScrollAllMs.toFixed(0)} ms`,
    );

    const targets: Target[] = [
      {
        key: 'search_slowest_ms',
        value: slowestSearch,
        what: 'search over every turn (slowest query, in-process)',
        measured: `${slowestSearch.toFixed(1)} ms`,
        target: '< 100 ms',
        met: slowestSearch < 100,
      },
      {
        key: 'indexing_overhead_cpu_pct',
        value: overheadCpu,
        what: 'indexing added to the first import (met by CPU time)',
        measured: `${overheadWall.toFixed(0)} % wall, ${overheadCpu.toFixed(0)} % CPU`,
        target: '< 30 %',
        met: overheadCpu < 30,
      },
      {
        key: 'dashboard_first_page_ms',
        value: dashboard.firstPageMs,
        what: dashboard.browser
          ? 'dashboard first page ready (agentlogs ui started to the cost chart drawn, chromium)'
          : 'dashboard first page ready (start to page, script and cost data; no chromium: HTTP only)',
        measured: `${dashboard.firstPageMs.toFixed(0)} ms (${dashboard.startMs.toFixed(0)} ms of it to the URL)`,
        target: '< 1000 ms',
        met: dashboard.firstPageMs < 1000,
      },
      {
        key: 'long_session_max_turns_per_request',
        value: Math.max(dashboard.longFirstLoaded, dashboard.longMaxTurns),
        what: `${LONG_SESSION_TURNS.toLocaleString('en-US')}-turn session scrolled to its end${dashboard.browser ? ' in chromium' : ' (HTTP only)'}`,
        measured:
          `${dashboard.longFirstLoaded} turns shown first (${dashboard.longFirstMs.toFixed(0)} ms), then ${dashboard.longPages - 1} more pages ` +
          `(median ${dashboard.longMedianMs.toFixed(0)} ms, slowest ${dashboard.longSlowestMs.toFixed(0)} ms), at most ${dashboard.longMaxTurns} turns per request`,
        target: `never all at once (<= ${PAGE} per request)`,
        met:
          dashboard.longFirstLoaded <= PAGE &&
          dashboard.longMaxTurns > 0 &&
          dashboard.longMaxTurns <= PAGE &&
          dashboard.longLoaded === LONG_SESSION_TURNS,
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

/** Debian's chromium (or AGENTLOGS_CHROMIUM), driven headless through puppeteer-core; no browser is downloaded. */
const CHROMIUM = process.env.AGENTLOGS_CHROMIUM ?? '/usr/bin/chromium';

export interface DashboardFigures {
  /** True when the figures come from a real browser (chromium); false: HTTP requests only. */
  browser: boolean;
  /** From starting `agentlogs ui --no-open` to the URL it prints. */
  startMs: number;
  /** From starting `agentlogs ui` to the first page ready: in a browser, the cost chart drawn with data. */
  firstPageMs: number;
  /** Opening the 5,000-turn session: until its first turns are on the page. */
  longFirstMs: number;
  /** Turns on the page when the session first shows (before any scrolling). */
  longFirstLoaded: number;
  /** Scrolling to the end, page after page: the slowest step (request and render), the whole way, the pages. */
  longSlowestMs: number;
  longMedianMs: number;
  longScrollAllMs: number;
  longPages: number;
  longLoaded: number;
  /** The most turns one request asked for and received. */
  longMaxTurns: number;
}

async function startUi(bin: string, env: NodeJS.ProcessEnv) {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'ui', '--no-open'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out)?.[0];
      if (found) resolve(found);
    });
    child.on('exit', (code) => reject(new Error(`agentlogs ui exited ${code}`)));
  });
  return { child, url, started, startMs: performance.now() - started };
}

async function measureDashboard(
  bin: string,
  env: NodeJS.ProcessEnv,
  longNativeId: string,
): Promise<DashboardFigures> {
  if (!fs.existsSync(CHROMIUM)) return measureDashboardHttp(bin, env, longNativeId);
  const puppeteer = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    // The browser is up before the clock starts: what is timed is agentlogs, not chromium's start.
    const ui = await startUi(bin, env);
    try {
      await page.goto(ui.url, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('canvas[data-points]', { timeout: 60_000 });
      const firstPageMs = performance.now() - ui.started;
      const base = ui.url.slice(0, ui.url.indexOf('/?'));
      const token = new URL(ui.url).searchParams.get('token')!;
      const listed = (await (
        await fetch(`${base}/api/sessions?limit=5000`, { headers: { 'x-agentlogs-token': token } })
      ).json()) as { sessions: { id: string; native_id: string }[] };
      const long = listed.sessions.find((s) => s.native_id === longNativeId);
      if (!long) throw new Error('the long session is not listed');

      // Every page of turns the session view asks for, with how many turns it got.
      let maxTurns = 0;
      page.on('response', (response) => {
        if (!response.url().includes(`/api/sessions/${long.id}/turns`)) return;
        void response
          .json()
          .then((body: { turns: unknown[] }) => {
            maxTurns = Math.max(maxTurns, body.turns.length);
          })
          .catch(() => undefined);
      });
      const loaded = async () =>
        Number(
          await page.evaluate(`Number(document.querySelector('[data-testid="turns"]')?.dataset.loaded ?? 0)`),
        );
      const opened = performance.now();
      await page.evaluate(`location.hash = '#/session/${long.id}'`);
      await page.waitForFunction(
        `Number(document.querySelector('[data-testid="turns"]')?.dataset.loaded ?? 0) > 0 && document.querySelector('[data-turn]') !== null`,
        { timeout: 60_000 },
      );
      const longFirstMs = performance.now() - opened;
      const longFirstLoaded = await loaded();
      const steps: number[] = [];
      const scrolled = performance.now();
      let now = longFirstLoaded;
      while (now < LONG_SESSION_TURNS) {
        const step = performance.now();
        await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
        await page.waitForFunction(
          `Number(document.querySelector('[data-testid="turns"]')?.dataset.loaded ?? 0) > ${now}`,
          { timeout: 60_000 },
        );
        steps.push(performance.now() - step);
        now = await loaded();
      }
      const longScrollAllMs = performance.now() - scrolled;
      if (errors.length > 0) throw new Error(`the dashboard failed in the browser: ${errors[0]}`);
      return {
        browser: true,
        startMs: ui.startMs,
        firstPageMs,
        longFirstMs,
        longFirstLoaded,
        longSlowestMs: Math.max(0, ...steps),
        longMedianMs: steps.length > 0 ? median(steps) : 0,
        longScrollAllMs,
        longPages: steps.length + 1,
        longLoaded: now,
        longMaxTurns: maxTurns,
      };
    } finally {
      ui.child.kill('SIGTERM');
    }
  } finally {
    await browser.close();
  }
}

/** Without a browser: the page, its script and the cost series fetched; the long session read 100 turns at a time. */
async function measureDashboardHttp(
  bin: string,
  env: NodeJS.ProcessEnv,
  longNativeId: string,
): Promise<DashboardFigures> {
  const ui = await startUi(bin, env);
  try {
    const base = ui.url.slice(0, ui.url.indexOf('/?'));
    const token = new URL(ui.url).searchParams.get('token')!;
    const get = async (route: string) => {
      const response = await fetch(`${base}${route}`, { headers: { 'x-agentlogs-token': token } });
      if (!response.ok) throw new Error(`GET ${route}: ${response.status}`);
      return response;
    };
    await (await get('/')).text();
    await (await get('/app.js')).text();
    await (await get('/api/costs?by=machine')).json();
    const firstPageMs = performance.now() - ui.started;
    const { sessions } = (await (await get(`/api/sessions?limit=5000`)).json()) as {
      sessions: { id: string; native_id: string }[];
    };
    const long = sessions.find((s) => s.native_id === longNativeId);
    if (!long) throw new Error('the long session is not listed');
    const times: number[] = [];
    let loaded = 0;
    let maxTurns = 0;
    const scrolled = performance.now();
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
      browser: false,
      startMs: ui.startMs,
      firstPageMs,
      longFirstMs: times[0]!,
      longFirstLoaded: Math.min(PAGE, loaded),
      longSlowestMs: Math.max(...times),
      longMedianMs: median(times),
      longScrollAllMs: performance.now() - scrolled,
      longPages: times.length,
      longLoaded: loaded,
      longMaxTurns: maxTurns,
    };
  } finally {
    ui.child.kill('SIGTERM');
  }
}
