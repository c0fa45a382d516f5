/**
 * `pnpm demo`: the whole agentlogs story on this machine, with no Supabase account.
 *
 * Starts a throwaway backend (PostgreSQL 17 with the project's migrations pushed by the Supabase CLI, and a local
 * stand-in for the parts of PostgREST and Supabase Auth that supabase-js uses), then plays two machines — two
 * data directories — that log in as the same GitHub user, import different transcripts, sync both ways, and show
 * the same consolidated stats. Every step runs the real `agentlogs` binary, configured exactly as a user would
 * configure it for a real project (AGENTLOGS_SUPABASE_URL, AGENTLOGS_SUPABASE_ANON_KEY).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AuthStandIn,
  findAuthorizeUrl,
  findProjectRoot,
  playBrowserLogin,
  startTestBackend,
  type TestBackend,
} from '@agentlogs/test-backend';

const root = findProjectRoot();
const cliBin = path.join(root, 'apps', 'cli', 'dist', 'bin.js');
const fixtures = path.join(root, 'apps', 'cli', 'test', 'fixtures', 'transcripts');

interface Machine {
  name: string;
  home: string;
  /** Claude Code transcripts of this machine: `projects/<project folder>/<file>.jsonl` → fixture file. */
  transcripts: Record<string, string>;
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const step = (s: string) => process.stdout.write(`\n${bold(`▸ ${s}`)}\n`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the agentlogs binary as `machine`, optionally reacting to what it prints on stderr. */
function agentlogs(
  machine: Machine,
  backend: TestBackend,
  args: string[],
  onStderr?: (printed: string) => void,
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: machine.home,
    TZ: process.env.TZ ?? 'UTC',
    AGENTLOGS_HOME: machine.home,
    AGENTLOGS_MACHINE_NAME: machine.name,
    AGENTLOGS_SUPABASE_URL: backend.url,
    AGENTLOGS_SUPABASE_ANON_KEY: backend.anonKey,
    NODE_NO_WARNINGS: '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(run: Promise<Run>, what: string): Promise<Run> {
  const result = await run;
  if (result.code !== 0) {
    throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr || result.stdout}`);
  }
  return result;
}

/** `agentlogs login --no-browser`, with the demo approving the GitHub consent as the person would. */
async function login(machine: Machine, backend: TestBackend): Promise<void> {
  let browsing: Promise<unknown> | undefined;
  const run = agentlogs(machine, backend, ['login', '--no-browser', '--timeout', '60'], (printed) => {
    const url = findAuthorizeUrl(printed);
    if (url && !browsing) browsing = playBrowserLogin(url);
  });
  const result = await must(run, `login on ${machine.name}`);
  await browsing;
  const last = result.stdout.trim().split('\n').pop() ?? '';
  process.stdout.write(`  ${machine.name}: ${last || 'logged in'}\n`);
}

/** Lays out the machine's transcripts as Claude Code does (`projects/<project>/<file>.jsonl`). */
function writeTranscripts(machine: Machine): string {
  const claudeDir = path.join(machine.home, 'claude');
  for (const [target, source] of Object.entries(machine.transcripts)) {
    const file = path.join(claudeDir, 'projects', target);
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(path.join(fixtures, source), file);
  }
  return claudeDir;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

async function demo(): Promise<void> {
  const workdir = mkdtempSync(path.join(tmpdir(), 'agentlogs-demo-'));
  const machines: Machine[] = [
    {
      name: 'work-laptop',
      home: path.join(workdir, 'work-laptop'),
      transcripts: {
        '-home-dev-fasthooks/sample_main_transcript.jsonl':
          'oneryalcin-fasthooks/sample_main_transcript.jsonl',
        '-home-dev-fasthooks/sample_agent_sidechain.jsonl':
          'oneryalcin-fasthooks/sample_agent_sidechain.jsonl',
        '-home-dev-spotter/tool_heavy.jsonl': 'marot-spotter/tool_heavy.jsonl',
      },
    },
    {
      name: 'home-desktop',
      home: path.join(workdir, 'home-desktop'),
      transcripts: {
        '-home-dev-spotter/short.jsonl': 'marot-spotter/short.jsonl',
        'project-alpha/chat.jsonl': 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl',
        'project-beta/chat.jsonl': 'ccusage-fixtures/claude/projects/project-beta/session-beta/chat.jsonl',
      },
    },
  ];

  step('Starting a throwaway backend: PostgreSQL 17, migrations pushed with the Supabase CLI, API stand-in');
  const started = Date.now();
  const backend = await startTestBackend();
  new AuthStandIn().mountOn(backend.standIn);
  process.stdout.write(
    `  backend at ${backend.url} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );

  try {
    step('Both machines log in as the same GitHub user (the demo clicks "Authorize" on the consent page)');
    for (const machine of machines) {
      mkdirSync(machine.home, { recursive: true });
      await login(machine, backend);
    }

    step('Each machine imports its own Claude Code transcripts');
    for (const machine of machines) {
      const claudeDir = writeTranscripts(machine);
      const result = await must(agentlogs(machine, backend, ['import', '--claude-dir', claudeDir]), 'import');
      process.stdout.write(`  ${machine.name}: ${result.stdout.trim().split('\n').pop()}\n`);
    }

    step('Sync: laptop, desktop, then laptop again (each run pulls, pushes, pulls)');
    for (const machine of [machines[0]!, machines[1]!, machines[0]!]) {
      const result = await must(agentlogs(machine, backend, ['sync']), `sync on ${machine.name}`);
      process.stdout.write(`  ${machine.name}: ${result.stdout.trim().split('\n').join('\n    ')}\n`);
    }

    step('Consolidated stats by machine, as each machine sees them');
    const seen: string[] = [];
    for (const machine of machines) {
      const table = await must(agentlogs(machine, backend, ['stats', '--by', 'machine']), 'stats');
      process.stdout.write(`  on ${bold(machine.name)}:\n${indent(table.stdout)}\n`);
      const json = await must(agentlogs(machine, backend, ['stats', '--by', 'machine', '--json']), 'stats');
      seen.push(json.stdout);
    }
    if (seen[0] !== seen[1]) throw new Error('the two machines disagree after syncing');
    step('Both machines hold the same sessions, turns, tokens and costs. Done.');
  } finally {
    await backend.close();
    rmSync(workdir, { recursive: true, force: true });
  }
}

demo().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
