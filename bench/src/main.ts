/**
 * `pnpm bench`: builds everything, then runs the parts selected with `--only` (default: all) and prints one
 * table per part; the full result goes to bench/results/latest.json.
 *
 *   pnpm bench [-- --only ingest|sync|e2e|content|hook|reading[,…]] [--sessions N] [--e2e-sessions N] [--seed N] [--runs N] [--codex N] [--agents N] [--scale N] [--limits]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runIngestBench } from './ingest-bench.js';
import { rssMethod } from './measure.js';
import { formatIngest } from './report.js';

const PARTS = ['ingest', 'sync', 'e2e', 'content', 'hook', 'reading'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: pnpm bench [-- --only ingest|sync|e2e|content|hook|reading[,…]] [--sessions N] [--e2e-sessions N] [--seed N] [--runs N] [--codex N] [--agents N] [--scale N] [--limits]
  --only      parts to run (repeatable or comma-separated; default: all)
  --sessions  sessions in the synthetic Claude Code tree (default 2000, about 200 MB)
  --e2e-sessions  sessions of the tree the e2e part imports, pushes and pulls (default: --sessions; 10000 is the 5× tree, about 1 GB)
  --seed      generator seed (default 1)
  --runs      repetitions of each timed step; medians are reported (default 3)
  --codex     Codex rollouts in the separate Codex comparison (default 100, 0 to skip)
  --agents    sessions per agent in the OpenCode, Gemini CLI, Qwen Code and Copilot CLI comparison (default 100, 0 to skip)
  --scale     also import a tree N times larger (default 5, about 1 GB; 1 to skip): s/GB and peak RSS of both sizes
  --limits    also measure the floors when every target is met`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function fail(message: string): never {
  process.stderr.write(`bench: ${message.split('\n')[0]} (options: pnpm bench -- --help)\n`);
  process.exit(2);
}

function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} takes a positive integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const parse = (args: string[]) =>
    parseArgs({
      args,
      options: {
        only: { type: 'string', multiple: true },
        sessions: { type: 'string' },
        'e2e-sessions': { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string' },
        codex: { type: 'string' },
        agents: { type: 'string' },
        scale: { type: 'string' },
        limits: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
  let values: ReturnType<typeof parse>['values'];
  try {
    // `pnpm bench -- --only x` passes the `--` through; drop it.
    values = parse(process.argv.slice(2).filter((a) => a !== '--')).values;
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const only = (values.only ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const part of only) if (!PARTS.includes(part as Part)) fail(`unknown part "${part}" for --only`);
  const parts: Part[] = only.length > 0 ? (only as Part[]) : [...PARTS];
  const sessions = positiveInt(values.sessions, 2000, '--sessions');
  const e2eSessions = positiveInt(values['e2e-sessions'], sessions, '--e2e-sessions');
  const seed = positiveInt(values.seed, 1, '--seed');
  const runs = positiveInt(values.runs, 3, '--runs');
  const codexSessions = values.codex === '0' ? 0 : positiveInt(values.codex, 100, '--codex');
  const agentSessions = values.agents === '0' ? 0 : positiveInt(values.agents, 100, '--agents');
  const scale = positiveInt(values.scale, 5, '--scale');
  const log = (line: string) => process.stderr.write(`  · ${line}\n`);

  const cpus = os.cpus();
  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    rss_method: rssMethod,
    /** Other work on the machine makes wall times noisy; the CPU-time columns are steadier. */
    load_average_1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
  process.stdout.write(
    `agentlogs bench — ${machine.date}, Node ${machine.node}, ${machine.platform}, ${machine.cpus} cores ` +
      `(${machine.cpu_model}), ${machine.memory_gb} GiB, load ${machine.load_average_1m}; peak RSS via ${rssMethod === 'gnu-time' ? 'GNU time %M' : '/proc VmHWM polling'}\n`,
  );
  const results: Record<string, unknown> = {
    machine,
    options: { parts, sessions, ...(e2eSessions !== sessions ? { e2eSessions } : {}), seed, runs, scale },
  };

  if (parts.includes('ingest')) {
    process.stdout.write('\n== ingest: import + stats vs ccusage ==\n');
    const ingest = await runIngestBench({
      repoRoot,
      sessions,
      seed,
      runs,
      codexSessions,
      agentSessions,
      scale,
      limits: values.limits ?? false,
      log,
    });
    results.ingest = ingest;
    process.stdout.write(`${formatIngest(ingest)}\n`);
    // Speed targets are reported, not enforced; different token totals are a correctness failure.
    if (ingest.targets.some((t) => t.unit === 'equal' && !t.met)) process.exitCode = 1;
    if (ingest.codex?.agentlogs.available && !ingest.codex.totals_equal) process.exitCode = 1;
    if (ingest.agents.some((a) => a.agentlogs.available && !a.totals_equal)) process.exitCode = 1;
  }
  if (parts.includes('sync')) {
    process.stdout.write('\n== sync: push / pull through supabase-js → stand-in → Postgres ==\n');
    results.sync = await runOptionalPart('sync-bench.js', 'runSyncBench', { repoRoot, log });
  }
  if (parts.includes('reading')) {
    process.stdout.write('\n== reading: search, indexing, dashboard ==\n');
    results.reading = await runOptionalPart('reading-bench.js', 'runReadingBench', {
      repoRoot,
      log,
      sessions,
      seed,
      runs,
    });
  }
  if (parts.includes('e2e')) {
    process.stdout.write('\n== e2e: tree imported on A, pushed, pulled on B ==\n');
    results.e2e = await runOptionalPart('e2e-bench.js', 'runE2eBench', {
      repoRoot,
      log,
      sessions: e2eSessions,
      seed,
    });
  }

  if (parts.includes('content')) {
    process.stdout.write('\n== content: push at each content level and with encryption ==\n');
    results.content = await runOptionalPart('content-bench.js', 'runContentBench', {
      repoRoot,
      log,
      seed,
      runs,
    });
  }

  if (parts.includes('hook')) {
    process.stdout.write(
      '\n== hook: a Claude Code SessionEnd hook importing one session into the imported tree ==\n',
    );
    results.hook = await runOptionalPart('hook-bench.js', 'runHookBench', {
      repoRoot,
      log,
      sessions,
      seed,
      runs,
    });
  }

  const outDir = path.join(repoRoot, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, 'latest.json');
  fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  // Each part also keeps its own latest result, so running one part does not lose the others' figures.
  for (const part of parts) {
    const partFile = path.join(outDir, `${part}-latest.json`);
    fs.writeFileSync(
      partFile,
      `${JSON.stringify({ machine, options: results.options, [part]: results[part] }, null, 2)}\n`,
    );
  }
  const shown = (file: string) => path.relative(process.cwd(), file) || file;
  process.stdout.write(
    `\nresults written to ${shown(outFile)} and ${parts.map((p) => shown(path.join(outDir, `${p}-latest.json`))).join(', ')}\n`,
  );
}

/**
 * Hook for parts that live in their own module (`bench/src/sync-bench.ts`, `bench/src/e2e-bench.ts`): loaded
 * only when built, so the runner works before they exist. The exported function receives
 * `{ repoRoot, log, … }` and returns a JSON-serialisable result; a `table` string in it is printed.
 */
async function runOptionalPart(
  file: string,
  exportName: string,
  options: Record<string, unknown>,
): Promise<unknown> {
  const url = new URL(`./${file}`, import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) {
    process.stdout.write(`not available (bench/src/${file.replace(/\.js$/, '.ts')} is not built yet)\n`);
    return { available: false };
  }
  const mod = (await import(url.href)) as Record<string, unknown>;
  const run = mod[exportName];
  if (typeof run !== 'function') {
    process.stdout.write(
      `not available (bench/src/${file.replace(/\.js$/, '.ts')} does not export ${exportName})\n`,
    );
    return { available: false };
  }
  const result = (await (run as (o: Record<string, unknown>) => Promise<unknown>)(options)) as unknown;
  if (result && typeof result === 'object' && typeof (result as { table?: unknown }).table === 'string') {
    process.stdout.write(`${(result as { table: string }).table}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
