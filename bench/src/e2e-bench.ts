/**
 * The end-to-end part of `pnpm bench`: the synthetic Claude Code tree imported on machine A, pushed, and
 * pulled on machine B, each step one run of the built `agentlogs` binary (what users run) against the test
 * backend (PostgreSQL 17 + the PostgREST/Auth stand-in), both machines logged in through the real
 * `login --no-browser` flow. Also times a sync with nothing to do, and checks that B's stats equal A's.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuthStandIn, CliMachine, startTestBackend } from '@agentlogs/test-backend';
import { median, runMeasured } from './measure.js';
import { table } from './report.js';
import { ensureClaudeTree } from './tree-cache.js';

export interface E2eBenchOptions {
  repoRoot: string;
  log?: (line: string) => void;
  /** Sessions of the synthetic tree (default 2,000). */
  sessions?: number;
  seed?: number;
  /** Runs of the no-op sync (median reported). Default 5. */
  noopRuns?: number;
}

/** Peak resident memory of the push and of the pull process, whatever the size of the tree. */
export const SYNC_RSS_TARGET_MB = 200;

export interface E2eStep {
  seconds: number;
  /** Records the step moved (imported rows, pushed or pulled records). */
  records: number;
  recordsPerSecond: number;
  maxRssMb: number;
}

export interface E2eBenchResult {
  available: true;
  sessions: number;
  turns: number;
  import: E2eStep;
  /** Size of the tree imported (MB of transcripts). */
  treeMegabytes: number;
  push: E2eStep & { megabytes: number; requests: number };
  pull: E2eStep & { megabytes: number };
  /** Peak RSS of the push and pull processes against `SYNC_RSS_TARGET_MB`. */
  rssTarget: { targetMb: number; pushMet: boolean; pullMet: boolean };
  /** `agentlogs sync` on B with nothing to do: wall time of the whole command, median of `runs`. */
  noopSync: { milliseconds: number; runs: number };
  /** `agentlogs --version`: the floor of any command (Node start-up). */
  startupMs: number;
  statsEqual: boolean;
  table: string;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function runE2eBench(
  options: E2eBenchOptions,
): Promise<E2eBenchResult | { available: false; reason: string }> {
  const log = options.log ?? (() => undefined);
  const bin = path.join(options.repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  if (!fs.existsSync(bin)) return { available: false, reason: 'apps/cli is not built (pnpm build)' };
  const sessions = options.sessions ?? 2000;
  const seed = options.seed ?? 1;
  const noopRuns = options.noopRuns ?? 5;
  const tree = ensureClaudeTree(path.join(options.repoRoot, 'bench', '.cache'), { sessions, seed });
  log(`tree: ${sessions} sessions (${tree.generated ? 'generated' : 'cached'}) at ${tree.root}`);

  log('starting the test backend (PostgreSQL 17 + stand-in)');
  const backend = await startTestBackend();
  new AuthStandIn().mountOn(backend.standIn);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-e2e-'));
  try {
    const machine = (name: string) => {
      const home = path.join(scratch, name);
      fs.mkdirSync(home, { recursive: true });
      return new CliMachine({ bin, name, home, url: backend.url, anonKey: backend.anonKey });
    };
    const machineA = machine('machine-a');
    const machineB = machine('machine-b');
    await machineA.login();
    await machineB.login();
    const a = machineA.env();
    const b = machineB.env();

    const measured = async (env: NodeJS.ProcessEnv, args: string[], what: string) => {
      log(what);
      const run = await runMeasured(process.execPath, [bin, ...args], { env });
      if (run.exitCode !== 0)
        throw new Error(`agentlogs ${args.join(' ')} exited ${run.exitCode}: ${run.stderr}`);
      return { run, json: JSON.parse(run.stdout) as Record<string, unknown> };
    };
    const step = (run: { wallMs: number; maxRssKb: number }, records: number): E2eStep => ({
      seconds: round(run.wallMs / 1000),
      records,
      recordsPerSecond: Math.round(records / (run.wallMs / 1000)),
      maxRssMb: round((run.maxRssKb * 1024) / 1e6, 1),
    });

    const imported = await measured(a, ['import', '--claude-dir', tree.root, '--json'], 'A: import');
    const im = imported.json as { turnsAdded: number; sessionsAdded: number; commitsAdded: number };
    const importStep = step(imported.run, im.turnsAdded + im.sessionsAdded + im.commitsAdded);

    const pushed = await measured(a, ['push', '--json'], 'A: push');
    const push = (pushed.json as { push: { accepted: number; bytes: number; batches: number } }).push;
    const pulled = await measured(b, ['pull', '--json'], 'B: pull');
    const pull = (pulled.json as { pull: { records: number; bytes: number } }).pull;

    // Warm-up: the first run after the pull settles anything the pull left (normally nothing).
    await measured(b, ['sync', '--json'], 'B: first sync after the pull');
    const noop: number[] = [];
    for (let i = 0; i < noopRuns; i++) {
      const run = await measured(b, ['sync', '--json'], `B: sync with nothing to do (${i + 1}/${noopRuns})`);
      const report = run.json as { push: { records: number }; pull: { records: number } };
      if (report.push.records + report.pull.records !== 0) throw new Error('the no-op sync moved records');
      noop.push(run.run.wallMs);
    }
    const startup: number[] = [];
    for (let i = 0; i < 3; i++)
      startup.push((await runMeasured(process.execPath, [bin, '--version'], { env: b })).wallMs);

    const statsA = (await measured(a, ['stats', '--json'], 'A: stats')).run.stdout;
    const statsB = (await measured(b, ['stats', '--json'], 'B: stats')).run.stdout;

    const result: E2eBenchResult = {
      available: true,
      sessions,
      turns: im.turnsAdded,
      treeMegabytes: round(tree.manifest.bytes / 1e6, 1),
      import: importStep,
      push: {
        ...step(pushed.run, push.accepted),
        megabytes: round(push.bytes / 1e6, 1),
        requests: push.batches,
      },
      pull: { ...step(pulled.run, pull.records), megabytes: round(pull.bytes / 1e6, 1) },
      rssTarget: { targetMb: SYNC_RSS_TARGET_MB, pushMet: false, pullMet: false },
      noopSync: { milliseconds: Math.round(median(noop)), runs: noopRuns },
      startupMs: Math.round(median(startup)),
      statsEqual: statsA === statsB,
      table: '',
    };
    result.rssTarget.pushMet = result.push.maxRssMb <= SYNC_RSS_TARGET_MB;
    result.rssTarget.pullMet = result.pull.maxRssMb <= SYNC_RSS_TARGET_MB;
    const target = (met: boolean | undefined) =>
      met === undefined ? '' : `≤ ${SYNC_RSS_TARGET_MB}: ${met ? 'met' : 'MISSED'}`;
    const row = (name: string, s: E2eStep, extra: string, met?: boolean) => [
      name,
      s.seconds.toFixed(2),
      s.records.toLocaleString('en-US'),
      s.recordsPerSecond.toLocaleString('en-US'),
      s.maxRssMb.toFixed(1),
      target(met),
      extra,
    ];
    result.table = [
      table(
        [
          'step (built CLI, one process each)',
          'wall s',
          'records',
          'records/s',
          'peak RSS MB',
          'RSS target MB',
          'notes',
        ],
        [
          row(
            'A: import --claude-dir <tree>',
            result.import,
            `${result.turns.toLocaleString('en-US')} turns from ${result.treeMegabytes} MB of transcripts`,
          ),
          row(
            'A: push',
            result.push,
            `${result.push.megabytes} MB in ${result.push.requests} requests`,
            result.rssTarget.pushMet,
          ),
          row('B: pull', result.pull, `${result.pull.megabytes} MB`, result.rssTarget.pullMet),
        ],
      ),
      '',
      `tree: ${sessions.toLocaleString('en-US')} sessions (${result.treeMegabytes} MB); pnpm bench -- --only e2e --e2e-sessions 10000 runs the 5× tree`,
      `sync with nothing to do (B): ${result.noopSync.milliseconds} ms median of ${noopRuns} (Node start-up alone: ${result.startupMs} ms)`,
      `stats --json on B equals A: ${result.statsEqual ? 'yes' : 'NO'}`,
    ].join('\n');
    if (!result.statsEqual) process.exitCode = 1;
    return result;
  } finally {
    await backend.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
