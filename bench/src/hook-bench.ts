/**
 * `pnpm bench -- --only hook`: what the Claude Code `SessionEnd` hook costs. The synthetic tree is imported
 * into a fresh data folder (untimed); then, per run, one new session (the generator's next index, so it is
 * not in the database yet) is written beside it and `agentlogs hooks run --agent claude-code` is timed from
 * spawn to exit with Claude Code's hook input on stdin, as Claude Code runs it, with its CPU time (GNU time).
 * Target: under 300 ms.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSession, treeProjects } from './claude-tree.js';
import { median, rssMethod } from './measure.js';
import { table } from './report.js';
import { ensureClaudeTree } from './tree-cache.js';

export interface HookBenchOptions {
  repoRoot: string;
  log: (line: string) => void;
  sessions: number;
  seed: number;
  runs: number;
}

export interface HookRun {
  wallMs: number;
  /** User + system CPU time (GNU time; NaN without it): steadier than wall time on a busy machine. */
  cpuMs: number;
  sessionBytes: number;
  files: number;
  logLine: string;
}

export interface HookBenchResult {
  sessions_in_database: number;
  database_bytes: number;
  runs: HookRun[];
  median_ms: number;
  cpu_median_ms: number;
  /** `agentlogs --version`: Node start-up plus the CLI's entry, the floor of any hook. */
  version_median_ms: number;
  version_cpu_median_ms: number;
  /** `node -e 0`: Node's own start-up on this machine now. */
  node_median_ms: number;
  node_cpu_median_ms: number;
  /** Other work on the machine inflates every figure; the CPU columns less so. */
  load_average_1m: number;
  target_ms: number;
  met: boolean;
  table: string;
}

const TARGET_MS = 300;

/** Runs `node <args>` to exit: wall time, and user + system CPU time with GNU time (NaN without it). */
function timed(
  args: string[],
  env: NodeJS.ProcessEnv,
  scratch: string,
  input?: string,
): { wallMs: number; cpuMs: number; status: number | null } {
  const timeFile = path.join(scratch, 'time');
  const command = [process.execPath, ...args];
  const [file, ...rest] =
    rssMethod === 'gnu-time' ? ['/usr/bin/time', '-f', '%U %S', '-o', timeFile, ...command] : command;
  const started = performance.now();
  const run = spawnSync(file!, rest, { env, input, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  const cpuMs =
    rssMethod === 'gnu-time'
      ? fs
          .readFileSync(timeFile, 'utf8')
          .trim()
          .split(/\s+/)
          .reduce((sum, v) => sum + Number(v) * 1000, 0)
      : Number.NaN;
  return { wallMs, cpuMs, status: run.status };
}

export async function runHookBench(options: HookBenchOptions): Promise<HookBenchResult> {
  const bin = path.join(options.repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  const tree = ensureClaudeTree(path.join(options.repoRoot, 'bench', '.cache'), {
    sessions: options.sessions,
    seed: options.seed,
  });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-hook-'));
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: path.join(scratch, 'home'),
      AGENTLOGS_HOME: path.join(scratch, 'data'),
      TZ: 'UTC',
    };
    fs.mkdirSync(env.HOME, { recursive: true });
    options.log(`importing the ${options.sessions}-session tree (untimed)`);
    const imported = spawnSync(process.execPath, [bin, 'import', '--claude-dir', tree.root, '--json'], {
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (imported.status !== 0) throw new Error(`import failed: ${imported.stderr.split('\n')[0]}`);
    const databaseBytes = fs.statSync(path.join(env.AGENTLOGS_HOME, 'agentlogs.db')).size;

    const node: { wallMs: number; cpuMs: number }[] = [];
    const versions: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < options.runs; i++) {
      node.push(timed(['-e', '0'], env, scratch));
      versions.push(timed([bin, '--version'], env, scratch));
    }

    const projects = treeProjects(options.seed);
    const extra = path.join(scratch, 'claude', 'projects');
    const logFile = path.join(env.AGENTLOGS_HOME, 'hooks.log');
    const runs: HookRun[] = [];
    // One untimed warm-up (page cache, the bundle's chunks), then the timed runs.
    for (let r = 0; r <= options.runs; r++) {
      const { files } = generateSession(options.seed, options.sessions + r, projects);
      let transcript = '';
      let bytes = 0;
      for (const file of files) {
        const target = path.join(extra, ...file.relativePath.split('/'));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content);
        bytes += Buffer.byteLength(file.content);
        if (!file.relativePath.includes('/subagents/') && !path.basename(target).startsWith('agent-'))
          transcript = target;
      }
      const input = JSON.stringify({
        session_id: path.basename(transcript, '.jsonl'),
        transcript_path: transcript,
        cwd: scratch,
        hook_event_name: 'SessionEnd',
        reason: 'prompt_input_exit',
      });
      const { wallMs, cpuMs, status } = timed(
        [bin, 'hooks', 'run', '--agent', 'claude-code'],
        env,
        scratch,
        input,
      );
      const logLine = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').pop() ?? '';
      if (status !== 0 || !/ ok /.test(logLine)) throw new Error(`hook run failed: ${logLine}`);
      if (r > 0) runs.push({ wallMs, cpuMs, sessionBytes: bytes, files: files.length, logLine });
    }
    const medianMs = median(runs.map((r) => r.wallMs));
    const versionMs = median(versions.map((v) => v.wallMs));
    const result: Omit<HookBenchResult, 'table'> = {
      sessions_in_database: options.sessions,
      database_bytes: databaseBytes,
      runs,
      median_ms: Math.round(medianMs),
      cpu_median_ms: Math.round(median(runs.map((r) => r.cpuMs))),
      version_median_ms: Math.round(versionMs),
      version_cpu_median_ms: Math.round(median(versions.map((v) => v.cpuMs))),
      node_median_ms: Math.round(median(node.map((v) => v.wallMs))),
      node_cpu_median_ms: Math.round(median(node.map((v) => v.cpuMs))),
      load_average_1m: Math.round(os.loadavg()[0]! * 100) / 100,
      target_ms: TARGET_MS,
      met: medianMs < TARGET_MS,
    };
    const rows = [
      [
        `hooks run (one new session, ${runs.map((r) => `${(r.sessionBytes / 1024).toFixed(0)} kB`).join(' / ')})`,
        `${result.median_ms} ms`,
        `${result.cpu_median_ms} ms`,
        runs.map((r) => Math.round(r.wallMs)).join(', '),
        `< ${TARGET_MS} ms`,
        result.met ? 'met' : 'missed',
      ],
      [
        'agentlogs --version (Node start-up + entry)',
        `${result.version_median_ms} ms`,
        `${result.version_cpu_median_ms} ms`,
        versions.map((v) => Math.round(v.wallMs)).join(', '),
        '',
        '',
      ],
      [
        'node -e 0 (Node start-up alone)',
        `${result.node_median_ms} ms`,
        `${result.node_cpu_median_ms} ms`,
        node.map((v) => Math.round(v.wallMs)).join(', '),
        '',
        '',
      ],
    ];
    return {
      ...result,
      table: `database: ${options.sessions} sessions imported, ${(databaseBytes / 1024 / 1024).toFixed(0)} MB; load average ${result.load_average_1m}\n${table(['step', 'wall (median)', 'CPU (median)', 'wall runs (ms)', 'target', 'status'], rows)}`,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
