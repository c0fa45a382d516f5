import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ProcessRun {
  command: string;
  wallMs: number;
  /** Peak resident set size in KiB of the process and the children it waited for (see `rssMethod`). */
  maxRssKb: number;
  /** User + system CPU time in ms of the process and its waited-for children (GNU time only, else NaN). */
  cpuMs: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * How peak RSS is measured: GNU time's `%M` (the kernel's ru_maxrss from wait4, which covers the process and
 * every descendant it reaped — ccusage's Node launcher and its native binary alike), or, when GNU time is
 * missing, polling VmHWM in /proc/<pid>/status of the process and its children every 10 ms (may miss a
 * short-lived peak).
 */
export type RssMethod = 'gnu-time' | 'proc-poll';

/** `AGENTLOGS_BENCH_RSS=proc` forces the /proc fallback (to compare the two methods). */
export const rssMethod: RssMethod =
  process.env.AGENTLOGS_BENCH_RSS === 'proc' || !hasGnuTime() ? 'proc-poll' : 'gnu-time';

function hasGnuTime(): boolean {
  try {
    fs.accessSync(GNU_TIME, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion, timing its wall clock from spawn to exit and recording its peak RSS. */
export async function runMeasured(
  file: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; rss?: RssMethod; input?: string },
): Promise<ProcessRun> {
  const method = options.rss ?? rssMethod;
  const command = [file, ...args].join(' ');
  let spawnFile = file;
  let spawnArgs = args;
  let rssFile: string | undefined;
  if (method === 'gnu-time') {
    rssFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-rss-')), 'rss');
    spawnFile = GNU_TIME;
    spawnArgs = ['-f', '%M %U %S', '-o', rssFile, file, ...args];
  }
  const started = performance.now();
  const child = spawn(spawnFile, spawnArgs, {
    env: options.env,
    cwd: options.cwd,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  let polledKb = 0;
  const poll =
    method === 'proc-poll' && child.pid !== undefined
      ? setInterval(() => {
          polledKb = Math.max(polledKb, treeHighWaterKb(child.pid!));
        }, 10)
      : undefined;
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const wallMs = performance.now() - started;
  if (poll) clearInterval(poll);
  let maxRssKb = polledKb;
  let cpuMs = Number.NaN;
  if (rssFile) {
    // GNU time writes "Command exited with non-zero status N" first when the command fails.
    const text = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
    const [rss, user, system] = (text[text.length - 1] ?? '').split(' ').map(Number);
    maxRssKb = rss ?? Number.NaN;
    cpuMs = ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000;
    fs.rmSync(path.dirname(rssFile), { recursive: true, force: true });
  }
  return {
    command,
    wallMs,
    maxRssKb,
    cpuMs,
    exitCode,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

function treeHighWaterKb(pid: number): number {
  let peak = 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) peak = Number(match[1]);
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : [])
        peak = Math.max(peak, treeHighWaterKb(Number(child)));
    }
  } catch {
    // The process exited between two reads.
  }
  return peak;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
