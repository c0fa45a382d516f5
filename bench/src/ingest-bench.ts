import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type AgentComparison, runAgentsBench } from './agents-bench.js';
import type { ClaudeTreeManifest, TokenTotals } from './claude-tree.js';
import type { CodexTreeManifest } from './codex-tree.js';
import { median, type ProcessRun, runMeasured } from './measure.js';
import { ensureClaudeTree, ensureCodexTree } from './tree-cache.js';

export interface IngestBenchOptions {
  repoRoot: string;
  sessions: number;
  seed: number;
  runs: number;
  /** Measure the floors even when every target is met. */
  limits: boolean;
  /** Codex rollouts in the separate Codex comparison (0: skip it). */
  codexSessions: number;
  /** Sessions per agent in the other agents' comparison (0: skip it). */
  agentSessions: number;
  /** The larger tree's size as a multiple of `sessions` (1: no larger tree). */
  scale: number;
  log: (line: string) => void;
}

/** The first import of a tree `factor` times larger (same seed), against the base tree's: time per GB and RSS. */
export interface ScaleResult {
  factor: number;
  base: ScaleSize;
  large: ScaleSize;
  /** `turnsAdded` of the larger tree's import equals the generator's turn count. */
  turns_equal: boolean;
}

export interface ScaleSize {
  sessions: number;
  bytes: number;
  turns: number;
  first_import: Step;
  wall_s_per_gb: number;
  cpu_s_per_gb: number;
}

export interface Step {
  name: string;
  command: string;
  samples_ms: number[];
  median_ms: number;
  /** Median user + system CPU time: less sensitive than wall time to other work on the machine. */
  median_cpu_ms: number;
  max_rss_kb: number;
}

export interface Target {
  name: string;
  measured: number;
  target: number;
  unit: 'ratio' | 'MB' | 'equal' | 'ms';
  met: boolean;
  /** For time ratios: the same ratio computed from CPU time (information, not the target). */
  cpu_ratio?: number;
}

export interface Limit {
  name: string;
  wall_ms: number;
  cpu_ms: number;
  max_rss_kb: number;
  detail: Record<string, number>;
}

export interface IngestBenchResult {
  tree: {
    root: string;
    generated: boolean;
    generate_ms: number;
    manifest: ClaudeTreeManifest;
  };
  ccusage: { version: string; step: Step; totals: TokenTotals; cost_usd: number };
  agentlogs:
    | {
        available: true;
        first_import: Step;
        stats_after_import: Step;
        noop_import: Step;
        stats_after_noop: Step;
        /** `agentlogs statusline` on the imported tree plus a session active now (warm runs). */
        statusline: Step | undefined;
        /**
         * The floor of any statusline on this machine, in the same alternation: a Node process that loads
         * better-sqlite3, opens the same database read-only and runs one query.
         */
        statusline_floor?: Step | undefined;
        first_import_output: unknown;
        noop_import_output: unknown;
        totals: TokenTotals;
        cost_usd: number;
        sessions: number;
        turns: number;
        data_dir_bytes: number;
        stored_turns: { rows: number; avg_content_bytes: number } | undefined;
      }
    | { available: false; reason: string };
  targets: Target[];
  limits: Limit[];
  scale: ScaleResult | undefined;
  codex: CodexComparison | undefined;
  /** OpenCode, Gemini CLI, Qwen Code, GitHub Copilot CLI: a small synthetic tree each. */
  agents: AgentComparison[];
}

/** The small Codex rollout set: both tools' totals and times (no targets are set for it). */
export interface CodexComparison {
  root: string;
  manifest: CodexTreeManifest;
  ccusage: { step: Step; totals: TokenTotals };
  agentlogs:
    | { available: true; import: Step; stats: Step; totals: TokenTotals; sessions: number; turns: number }
    | { available: false; reason: string };
  totals_equal: boolean;
}

const TOKEN_KEYS = ['input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens'] as const;

export async function runIngestBench(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const { repoRoot, log } = options;
  const cacheDir = path.join(repoRoot, 'bench', '.cache');
  log(`tree: ${options.sessions} sessions, seed ${options.seed} …`);
  const tree = ensureClaudeTree(cacheDir, { sessions: options.sessions, seed: options.seed });
  const manifest = tree.manifest;
  log(
    tree.generated
      ? `tree: generated in ${(tree.generateMs / 1000).toFixed(1)} s (${mb(manifest.bytes)} MB) at ${tree.root}`
      : `tree: cached at ${tree.root}`,
  );
  const projectsDir = path.join(tree.root, 'projects');
  warmPageCache(projectsDir);

  const runs = Math.max(1, options.runs);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-'));
  try {
    // ccusage reads HOME and CLAUDE_CONFIG_DIR; both point at the folder holding `projects/`, so no real
    // home directory and no other agent's data is read.
    const ccusageBin = path.join(repoRoot, 'bench', 'node_modules', '.bin', 'ccusage');
    const ccusageEnv = baseEnv({ HOME: tree.root, CLAUDE_CONFIG_DIR: tree.root });
    const version = (await runMeasured(ccusageBin, ['--version'], { env: ccusageEnv })).stdout.trim();
    // One untimed run first: the native binary and its launcher come from disk on the very first start.
    await runMeasured(ccusageBin, ['daily', '--json', '--offline'], { env: ccusageEnv });
    const ccusageRuns: ProcessRun[] = [];
    const runCcusage = async () => {
      const run = await runMeasured(ccusageBin, ['daily', '--json', '--offline'], { env: ccusageEnv });
      if (run.exitCode !== 0) throw new Error(`ccusage failed (exit ${run.exitCode}): ${run.stderr.trim()}`);
      ccusageRuns.push(run);
      log(`ccusage daily --json --offline: ${seconds(run.wallMs)} s, ${mb(run.maxRssKb * 1024)} MB`);
    };
    // ccusage and agentlogs runs alternate, so a change in the machine's load affects both sides alike.
    const ours = await runAgentlogs(options, tree.root, scratch, runs, runCcusage);
    while (ccusageRuns.length < runs) await runCcusage();
    const ccusageJson = JSON.parse(ccusageRuns[0]!.stdout) as {
      totals: {
        inputTokens: number;
        outputTokens: number;
        cacheCreationTokens: number;
        cacheReadTokens: number;
        totalCost: number;
      };
    };
    const ccusageTotals: TokenTotals = {
      input_tokens: ccusageJson.totals.inputTokens,
      output_tokens: ccusageJson.totals.outputTokens,
      cache_creation_tokens: ccusageJson.totals.cacheCreationTokens,
      cache_read_tokens: ccusageJson.totals.cacheReadTokens,
    };
    const ccusageStep = step('ccusage daily --json --offline', ccusageRuns);

    const targets: Target[] = [];
    if (ours.available) {
      const firstPlusStats = median(
        ours.first_import.samples_ms.map((ms, i) => ms + ours.stats_after_import.samples_ms[i]!),
      );
      const noopPlusStats = median(
        ours.noop_import.samples_ms.map((ms, i) => ms + ours.stats_after_noop.samples_ms[i]!),
      );
      const peakKb = Math.max(
        ours.first_import.max_rss_kb,
        ours.stats_after_import.max_rss_kb,
        ours.noop_import.max_rss_kb,
        ours.stats_after_noop.max_rss_kb,
      );
      const cpu = (a: Step, b: Step) => (a.median_cpu_ms + b.median_cpu_ms) / ccusageStep.median_cpu_ms;
      targets.push(
        {
          ...ratioTarget('first import + stats vs ccusage', firstPlusStats / ccusageStep.median_ms, 2),
          cpu_ratio: cpu(ours.first_import, ours.stats_after_import),
        },
        {
          ...ratioTarget('no-op re-import + stats vs ccusage', noopPlusStats / ccusageStep.median_ms, 0.3),
          cpu_ratio: cpu(ours.noop_import, ours.stats_after_noop),
        },
        {
          name: 'peak RSS of any agentlogs process',
          measured: (peakKb * 1024) / 1e6,
          target: 200,
          unit: 'MB',
          met: (peakKb * 1024) / 1e6 <= 200,
        },
        ...(ours.statusline
          ? [
              {
                name: `statusline, warm${ours.statusline_floor ? ` (floor ${Math.round(ours.statusline_floor.median_ms)} ms)` : ''}`,
                measured: ours.statusline.median_ms,
                target: 50,
                unit: 'ms' as const,
                met: ours.statusline.median_ms <= 50,
              },
            ]
          : []),
        {
          name: 'token totals equal ccusage',
          measured: TOKEN_KEYS.filter((k) => ours.totals[k] === ccusageTotals[k]).length,
          target: TOKEN_KEYS.length,
          unit: 'equal',
          met: TOKEN_KEYS.every((k) => ours.totals[k] === ccusageTotals[k]),
        },
      );
    }
    let scale: ScaleResult | undefined;
    if (ours.available && options.scale > 1) {
      scale = await runScale(options, cacheDir, scratch, manifest, ours.first_import, ours.turns);
      targets.push(
        {
          ...ratioTarget(
            `first import s/GB, ${scale.factor}× tree vs base tree`,
            scale.large.wall_s_per_gb / scale.base.wall_s_per_gb,
            1.1,
          ),
          cpu_ratio: scale.large.cpu_s_per_gb / scale.base.cpu_s_per_gb,
        },
        ratioTarget(
          `first import peak RSS, ${scale.factor}× tree vs base tree`,
          scale.large.first_import.max_rss_kb / scale.base.first_import.max_rss_kb,
          1.1,
        ),
      );
    }
    const limits: Limit[] = [];
    if (options.limits || targets.some((t) => !t.met) || !ours.available) {
      limits.push(...(await measureLimits(options, projectsDir, scratch, ours, manifest, scale)));
    }
    const codex =
      options.codexSessions > 0
        ? await runCodexComparison(options, cacheDir, scratch, runs, ccusageBin)
        : undefined;
    const agents =
      options.agentSessions > 0
        ? await runAgentsBench({
            repoRoot,
            scratch,
            sessions: options.agentSessions,
            seed: options.seed,
            runs,
            log,
          })
        : [];
    return {
      codex,
      agents,
      tree: { root: tree.root, generated: tree.generated, generate_ms: tree.generateMs, manifest },
      ccusage: { version, step: ccusageStep, totals: ccusageTotals, cost_usd: ccusageJson.totals.totalCost },
      agentlogs: ours,
      targets,
      limits,
      scale,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

interface CcusageJson {
  totals: { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number };
}

function ccusageTokens(stdout: string): TokenTotals {
  const t = (JSON.parse(stdout) as CcusageJson).totals;
  return {
    input_tokens: t.inputTokens,
    output_tokens: t.outputTokens,
    cache_creation_tokens: t.cacheCreationTokens,
    cache_read_tokens: t.cacheReadTokens,
  };
}

/** ccusage and `agentlogs import --codex-dir` + `stats` on the Codex rollout set, alternating, `runs` times. */
async function runCodexComparison(
  options: IngestBenchOptions,
  cacheDir: string,
  scratch: string,
  runs: number,
  ccusageBin: string,
): Promise<CodexComparison> {
  const { log, repoRoot } = options;
  const tree = ensureCodexTree(cacheDir, { sessions: options.codexSessions, seed: options.seed });
  log(`codex: ${tree.manifest.sessions} rollouts, ${mb(tree.manifest.bytes)} MB at ${tree.root}`);
  warmPageCache(tree.sessionsDir);
  // HOME holds `.codex/sessions`; CLAUDE_CONFIG_DIR an empty `projects/`, so ccusage reads the rollouts only.
  const ccusageEnv = baseEnv({ HOME: tree.root, CLAUDE_CONFIG_DIR: tree.root });
  const bin = path.join(repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  const ccusageRuns: ProcessRun[] = [];
  const imports: ProcessRun[] = [];
  const statsRuns: ProcessRun[] = [];
  let ours: CodexComparison['agentlogs'] | undefined;
  let oursTotals: (TokenTotals & { sessions: number; turns: number }) | undefined;
  for (let i = 0; i < runs; i++) {
    const c = await runMeasured(ccusageBin, ['daily', '--json', '--offline'], { env: ccusageEnv });
    if (c.exitCode !== 0)
      throw new Error(`ccusage failed on the Codex set (exit ${c.exitCode}): ${firstLine(c.stderr)}`);
    ccusageRuns.push(c);
    if (ours) continue;
    const home = fs.mkdtempSync(path.join(scratch, 'codex-home-'));
    const env = baseEnv({ HOME: home, AGENTLOGS_HOME: path.join(home, 'data') });
    const a = await runMeasured(
      process.execPath,
      [bin, 'import', '--codex-dir', tree.sessionsDir, '--json'],
      { env },
    );
    const b = a.exitCode === 0 ? await runMeasured(process.execPath, [bin, 'stats', '--json'], { env }) : a;
    fs.rmSync(home, { recursive: true, force: true });
    if (a.exitCode !== 0 || b.exitCode !== 0) {
      ours = {
        available: false,
        reason: `agentlogs failed on the Codex set: ${firstLine((a.exitCode !== 0 ? a : b).stderr)}`,
      };
      continue;
    }
    imports.push(a);
    statsRuns.push(b);
    const t = (JSON.parse(b.stdout) as StatsJson).totals;
    oursTotals = { ...pickTokens(t), sessions: t.sessions, turns: t.turns };
    log(
      `codex: ccusage ${seconds(c.wallMs)} s; agentlogs import ${seconds(a.wallMs)} s + stats ${seconds(b.wallMs)} s`,
    );
  }
  const ccusageTotals = ccusageTokens(ccusageRuns[0]!.stdout);
  if (!ours && oursTotals) {
    ours = {
      available: true,
      import: step('agentlogs import --codex-dir (first)', imports),
      stats: step('agentlogs stats --json', statsRuns),
      totals: pickTokens(oursTotals),
      sessions: oursTotals.sessions,
      turns: oursTotals.turns,
    };
  }
  const agentlogs = ours ?? { available: false as const, reason: 'not run' };
  return {
    root: tree.root,
    manifest: tree.manifest,
    ccusage: { step: step('ccusage daily --json --offline', ccusageRuns), totals: ccusageTotals },
    agentlogs,
    totals_equal: agentlogs.available && TOKEN_KEYS.every((k) => agentlogs.totals[k] === ccusageTotals[k]),
  };
}

type AgentlogsResult = IngestBenchResult['agentlogs'];

/**
 * The first import of a tree `options.scale` times larger than the base one (generated and cached like it), run
 * `min(runs, 3)` times into a fresh data folder each, against the base tree's first import of the same run.
 */
async function runScale(
  options: IngestBenchOptions,
  cacheDir: string,
  scratch: string,
  baseManifest: ClaudeTreeManifest,
  baseImport: Step,
  baseTurns: number,
): Promise<ScaleResult> {
  const { log, repoRoot } = options;
  const sessions = options.sessions * options.scale;
  log(`scale: tree of ${sessions} sessions (${options.scale}×) …`);
  const tree = ensureClaudeTree(cacheDir, { sessions, seed: options.seed });
  log(
    tree.generated
      ? `scale: generated in ${(tree.generateMs / 1000).toFixed(1)} s (${mb(tree.manifest.bytes)} MB)`
      : `scale: cached at ${tree.root} (${mb(tree.manifest.bytes)} MB)`,
  );
  warmPageCache(path.join(tree.root, 'projects'));
  const bin = path.join(repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  const runs: ProcessRun[] = [];
  let turnsAdded = -1;
  for (let i = 0; i < Math.min(options.runs, 3); i++) {
    const home = fs.mkdtempSync(path.join(scratch, 'scale-home-'));
    const env = baseEnv({ HOME: home, AGENTLOGS_HOME: path.join(home, 'data') });
    const run = await runMeasured(process.execPath, [bin, 'import', '--claude-dir', tree.root, '--json'], {
      env,
      cwd: home,
    });
    fs.rmSync(home, { recursive: true, force: true });
    if (run.exitCode !== 0)
      throw new Error(`agentlogs import of the ${options.scale}× tree failed: ${firstLine(run.stderr)}`);
    turnsAdded = (JSON.parse(run.stdout) as { turnsAdded: number }).turnsAdded;
    log(
      `scale: agentlogs import (first, ${options.scale}×): ${seconds(run.wallMs)} s, ${mb(run.maxRssKb * 1024)} MB`,
    );
    runs.push(run);
  }
  const size = (s: number, bytes: number, turns: number, first: Step): ScaleSize => ({
    sessions: s,
    bytes,
    turns,
    first_import: first,
    wall_s_per_gb: first.median_ms / 1000 / (bytes / 1e9),
    cpu_s_per_gb: first.median_cpu_ms / 1000 / (bytes / 1e9),
  });
  return {
    factor: options.scale,
    base: size(options.sessions, baseManifest.bytes, baseTurns, baseImport),
    large: size(
      sessions,
      tree.manifest.bytes,
      turnsAdded,
      step(`agentlogs import (first, ${options.scale}× tree)`, runs),
    ),
    turns_equal: turnsAdded === tree.manifest.turns,
  };
}

interface StatsJson {
  totals: TokenTotals & { cost_usd: number; sessions: number; turns: number };
}

async function runAgentlogs(
  options: IngestBenchOptions,
  treeRoot: string,
  scratch: string,
  runs: number,
  beforeEachRun: () => Promise<void>,
): Promise<AgentlogsResult> {
  const { repoRoot, log } = options;
  const bin = path.join(repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  if (!fs.existsSync(bin)) return { available: false, reason: `${bin} is missing: run pnpm build` };
  const node = process.execPath;
  const first: ProcessRun[] = [];
  const statsAfterImport: ProcessRun[] = [];
  const noop: ProcessRun[] = [];
  const statsAfterNoop: ProcessRun[] = [];
  let stats: StatsJson | undefined;
  let firstOutput: unknown;
  let noopOutput: unknown;
  let dataDirBytes = 0;
  let storedTurns: { rows: number; avg_content_bytes: number } | undefined;
  let statusline: Step | undefined;
  let statuslineFloor: Step | undefined;
  for (let i = 0; i < runs; i++) {
    await beforeEachRun();
    // A fresh data directory and an empty HOME per run: nothing outside the tree is read, nothing is reused.
    const home = fs.mkdtempSync(path.join(scratch, 'home-'));
    const data = fs.mkdtempSync(path.join(scratch, 'data-'));
    const env = baseEnv({ HOME: home, AGENTLOGS_HOME: data });
    const cli = (args: string[], input?: string) =>
      runMeasured(node, [bin, ...args], { env, cwd: home, input });
    const importArgs = ['import', '--claude-dir', treeRoot, '--json'];
    const a = await cli(importArgs);
    if (a.exitCode !== 0) {
      return {
        available: false,
        reason: `agentlogs import failed (exit ${a.exitCode}): ${firstLine(a.stderr)}`,
      };
    }
    log(`agentlogs import (first): ${seconds(a.wallMs)} s, ${mb(a.maxRssKb * 1024)} MB`);
    const b = await cli(['stats', '--json']);
    if (b.exitCode !== 0) {
      return {
        available: false,
        reason: `agentlogs stats failed (exit ${b.exitCode}): ${firstLine(b.stderr)}`,
      };
    }
    log(`agentlogs stats --json: ${seconds(b.wallMs)} s, ${mb(b.maxRssKb * 1024)} MB`);
    const c = await cli(importArgs);
    if (c.exitCode !== 0) {
      return {
        available: false,
        reason: `agentlogs re-import failed (exit ${c.exitCode}): ${firstLine(c.stderr)}`,
      };
    }
    log(`agentlogs import (no-op): ${seconds(c.wallMs)} s, ${mb(c.maxRssKb * 1024)} MB`);
    const d = await cli(['stats', '--json']);
    log(`agentlogs stats --json: ${seconds(d.wallMs)} s`);
    first.push(a);
    statsAfterImport.push(b);
    noop.push(c);
    statsAfterNoop.push(d);
    const afterImport = JSON.parse(b.stdout) as StatsJson;
    const afterNoop = JSON.parse(d.stdout) as StatsJson;
    for (const k of TOKEN_KEYS) {
      if (afterImport.totals[k] !== afterNoop.totals[k]) {
        throw new Error(
          `stats ${k} changed after a no-op re-import: ${afterImport.totals[k]} → ${afterNoop.totals[k]}`,
        );
      }
    }
    if (i === 0) {
      stats = afterImport;
      firstOutput = parseJsonOrText(a.stdout);
      noopOutput = parseJsonOrText(c.stdout);
      dataDirBytes = directoryBytes(data);
      storedTurns = readStoredTurns(data);
      ({ statusline, floor: statuslineFloor } = await measureStatusline(
        options,
        cli,
        scratch,
        Math.max(5, runs * 3),
        {
          env,
          home,
          database: findFile(data, (name) => name === 'agentlogs.db') ?? path.join(data, 'agentlogs.db'),
        },
      ));
    }
    fs.rmSync(data, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
  const totals = stats!.totals;
  return {
    available: true,
    first_import: step('agentlogs import (first)', first),
    stats_after_import: step('agentlogs stats --json', statsAfterImport),
    noop_import: step('agentlogs import (no-op)', noop),
    stats_after_noop: step('agentlogs stats --json (after no-op)', statsAfterNoop),
    statusline,
    statusline_floor: statuslineFloor,
    first_import_output: firstOutput,
    noop_import_output: noopOutput,
    totals: pickTokens(totals),
    cost_usd: totals.cost_usd,
    sessions: totals.sessions,
    turns: totals.turns,
    data_dir_bytes: dataDirBytes,
    stored_turns: storedTurns,
  };
}

/**
 * `agentlogs statusline` as Claude Code runs it after every response: on the database of the whole tree plus one
 * session active now (a fixture transcript moved so that its last message was 10 minutes ago, imported on its
 * own), with Claude Code's statusline JSON on stdin. One untimed run first: the timed ones are warm.
 */
async function measureStatusline(
  options: IngestBenchOptions,
  cli: (args: string[], input?: string) => Promise<ProcessRun>,
  scratch: string,
  runs: number,
  floorRun: { env: NodeJS.ProcessEnv; home: string; database: string },
): Promise<{ statusline: Step; floor: Step }> {
  const fixtures = path.join(options.repoRoot, 'fixtures', 'transcripts');
  const source = path.join(fixtures, 'oneryalcin-fasthooks');
  const recent = path.join(scratch, 'recent', 'projects', 'now');
  fs.mkdirSync(recent, { recursive: true });
  const stamp = /"timestamp":"([^"]+)"/g;
  const files = fs.readdirSync(source).filter((f) => f.endsWith('.jsonl'));
  const texts = files.map((f) => fs.readFileSync(path.join(source, f), 'utf8'));
  let last = 0;
  for (const text of texts) for (const m of text.matchAll(stamp)) last = Math.max(last, Date.parse(m[1]!));
  const shift = Date.now() - 10 * 60_000 - last;
  files.forEach((f, i) => {
    fs.writeFileSync(
      path.join(recent, f),
      texts[i]!.replace(
        stamp,
        (_, at: string) => `"timestamp":"${new Date(Date.parse(at) + shift).toISOString()}"`,
      ),
    );
  });
  const imported = await cli(['import', '--claude-dir', path.dirname(path.dirname(recent))]);
  if (imported.exitCode !== 0)
    throw new Error(`agentlogs import of the recent session failed: ${imported.stderr}`);
  const session = /"sessionId":"([^"]+)"/.exec(texts[0]!)![1]!;
  const input = fs
    .readFileSync(path.join(fixtures, 'ccusage-fixtures', 'statusline-test-opus4.json'), 'utf8')
    .replace('test-session-opus4', session);
  await cli(['statusline'], input);
  // The floor, run alternately with the statusline: Node, better-sqlite3 (resolved from the CLI's package) and one
  // query on the same database opened read-only, as any statusline reading this database must do at least.
  const sqlite = createRequire(path.join(options.repoRoot, 'apps', 'cli', 'package.json')).resolve(
    'better-sqlite3',
  );
  const floorScript =
    'const D = require(process.argv[1]); const db = new D(process.argv[2], { readonly: true });' +
    " process.stdout.write(String(db.prepare('select count(*) from sessions').pluck().get()));";
  const floor = () =>
    runMeasured(process.execPath, ['-e', floorScript, sqlite, floorRun.database], {
      env: floorRun.env,
      cwd: floorRun.home,
    });
  await floor();
  const samples: ProcessRun[] = [];
  const floors: ProcessRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await cli(['statusline'], input);
    if (run.exitCode !== 0 || !run.stdout.includes(' block (')) {
      throw new Error(`agentlogs statusline failed or found no active block: ${run.stdout}${run.stderr}`);
    }
    samples.push(run);
    const bare = await floor();
    if (bare.exitCode !== 0) throw new Error(`the statusline floor failed: ${bare.stderr}`);
    floors.push(bare);
  }
  options.log(`agentlogs statusline: ${seconds(median(samples.map((r) => r.wallMs)))} s (median of ${runs})`);
  return {
    statusline: step('agentlogs statusline (warm)', samples),
    floor: step('floor: node + better-sqlite3, one query', floors),
  };
}

/** The floors each target runs into, measured on their own in fresh Node processes. */
async function measureLimits(
  options: IngestBenchOptions,
  projectsDir: string,
  scratch: string,
  ours: AgentlogsResult,
  manifest: ClaudeTreeManifest,
  scale: ScaleResult | undefined,
): Promise<Limit[]> {
  const worker = path.join(options.repoRoot, 'bench', 'dist', 'limits-worker.js');
  const env = baseEnv({});
  const limits: Limit[] = [];
  const measure = async (name: string, args: string[], repeat: number): Promise<void> => {
    const samples: ProcessRun[] = [];
    for (let i = 0; i < repeat; i++) {
      const run = await runMeasured(process.execPath, [worker, ...args], { env });
      if (run.exitCode !== 0) throw new Error(`limit "${name}" failed: ${firstLine(run.stderr)}`);
      samples.push(run);
    }
    const detail = JSON.parse(samples[0]!.stdout) as Record<string, number>;
    const limit = {
      name,
      wall_ms: median(samples.map((s) => s.wallMs)),
      cpu_ms: median(samples.map((s) => s.cpuMs)),
      max_rss_kb: Math.max(...samples.map((s) => s.maxRssKb)),
      detail,
    };
    options.log(`limit ${name}: ${seconds(limit.wall_ms)} s`);
    limits.push(limit);
  };
  await measure('Node start-up and exit', ['startup'], 5);
  const bin = path.join(options.repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  if (fs.existsSync(bin)) {
    const samples: ProcessRun[] = [];
    for (let i = 0; i < 5; i++)
      samples.push(await runMeasured(process.execPath, [bin, '--version'], { env }));
    limits.push({
      name: 'agentlogs --version (CLI start-up: module loading)',
      wall_ms: median(samples.map((s) => s.wallMs)),
      cpu_ms: median(samples.map((s) => s.cpuMs)),
      max_rss_kb: Math.max(...samples.map((s) => s.maxRssKb)),
      detail: {},
    });
  }
  await measure('walk + stat every transcript (no-op floor)', ['stat', projectsDir], 3);
  await measure('read every file, split into lines', ['read', projectsDir], 3);
  await measure('… and JSON.parse every line, dedup usage', ['parse', projectsDir], 3);
  const rows = ours.available && ours.stored_turns ? ours.stored_turns.rows : manifest.turns;
  const bytes =
    ours.available && ours.stored_turns
      ? Math.round(ours.stored_turns.avg_content_bytes)
      : Math.round(manifest.bytes / Math.max(1, manifest.turns));
  const dbDir = fs.mkdtempSync(path.join(scratch, 'sqlite-'));
  await measure(
    `SQLite insert of ${rows} turn rows, ${bytes} B content each`,
    ['sqlite', path.join(dbDir, 'floor.db'), String(rows), String(bytes)],
    3,
  );
  fs.rmSync(dbDir, { recursive: true, force: true });
  if (scale && scale.large.turns > 0) {
    // The scale target's floor: the same rows for the larger tree's turn count, in a fresh database.
    const largeDir = fs.mkdtempSync(path.join(scratch, 'sqlite-'));
    await measure(
      `SQLite insert of ${scale.large.turns} turn rows (${scale.factor}× tree), ${bytes} B content each`,
      ['sqlite', path.join(largeDir, 'floor.db'), String(scale.large.turns), String(bytes)],
      1,
    );
    fs.rmSync(largeDir, { recursive: true, force: true });
  }
  return limits;
}

/** Row count and average content size of the imported turns, read from the store the CLI wrote. */
function readStoredTurns(dataDir: string): { rows: number; avg_content_bytes: number } | undefined {
  const db = findFile(dataDir, (name) => name.endsWith('.db') || name.endsWith('.sqlite'));
  if (!db) return undefined;
  try {
    const require = createRequire(import.meta.url);
    const Database = require('better-sqlite3') as new (
      file: string,
      options: { readonly: boolean },
    ) => { prepare(sql: string): { get(): unknown }; close(): void };
    const handle = new Database(db, { readonly: true });
    try {
      const row = handle
        .prepare('SELECT count(*) AS n, avg(length(CAST(content AS BLOB))) AS avg FROM turns')
        .get() as {
        n: number;
        avg: number | null;
      };
      return { rows: row.n, avg_content_bytes: row.avg ?? 0 };
    } finally {
      handle.close();
    }
  } catch {
    return undefined;
  }
}

function findFile(dir: string, match: (name: string) => boolean): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && match(entry.name)) return full;
    if (entry.isDirectory()) {
      const found = findFile(full, match);
      if (found) return found;
    }
  }
  return undefined;
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(full) : fs.statSync(full).size;
  }
  return total;
}

/** Reads every transcript once so both tools start from the same warm page cache. */
function warmPageCache(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) warmPageCache(full);
    else fs.readFileSync(full);
  }
}

/** A minimal environment: PATH, locale and time zone only, plus what the caller sets. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' };
  for (const key of ['LANG', 'LC_ALL', 'TZ']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

function step(name: string, runs: ProcessRun[]): Step {
  return {
    name,
    command: runs[0]!.command,
    samples_ms: runs.map((r) => r.wallMs),
    median_ms: median(runs.map((r) => r.wallMs)),
    median_cpu_ms: median(runs.map((r) => r.cpuMs)),
    max_rss_kb: Math.max(...runs.map((r) => r.maxRssKb)),
  };
}

function ratioTarget(name: string, measured: number, target: number): Target {
  return { name, measured, target, unit: 'ratio', met: measured <= target };
}

function pickTokens(t: TokenTotals): TokenTotals {
  return {
    input_tokens: t.input_tokens,
    output_tokens: t.output_tokens,
    cache_creation_tokens: t.cache_creation_tokens,
    cache_read_tokens: t.cache_read_tokens,
  };
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Decimal megabytes (10^6 bytes), as the targets are stated. */
export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}
