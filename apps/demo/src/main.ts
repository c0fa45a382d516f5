/**
 * `pnpm demo`: the whole agentlogs story on this machine, with no Supabase account.
 *
 * Starts a throwaway backend (PostgreSQL 17 with the project's migrations pushed by the Supabase CLI, and a local
 * stand-in for the parts of PostgREST and Supabase Auth that supabase-js uses), then plays two machines — two
 * data directories — that log in as the same GitHub user, import different transcripts, sync both ways, and show
 * the same consolidated stats. Every step runs the real `agentlogs` binary, configured exactly as a user would
 * configure it for a real project (AGENTLOGS_SUPABASE_URL, AGENTLOGS_SUPABASE_ANON_KEY).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuthStandIn, CliMachine, findProjectRoot, startTestBackend } from '@agentlogs/test-backend';

const root = findProjectRoot();
const cliBin = path.join(root, 'apps', 'cli', 'dist', 'bin.js');
const fixtures = path.join(root, 'fixtures', 'transcripts');

interface Machine {
  cli: CliMachine;
  /** Claude Code transcripts of this machine: `projects/<project folder>/<file>.jsonl` → fixture file. */
  transcripts: Record<string, string>;
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const step = (s: string) => process.stdout.write(`\n${bold(`▸ ${s}`)}\n`);

/** Lays out the machine's transcripts as Claude Code does (`projects/<project>/<file>.jsonl`). */
function writeTranscripts(machine: Machine): string {
  const claudeDir = path.join(machine.cli.home, 'claude');
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
  step('Starting a throwaway backend: PostgreSQL 17, migrations pushed with the Supabase CLI, API stand-in');
  const started = Date.now();
  const backend = await startTestBackend();
  new AuthStandIn().mountOn(backend.standIn);
  process.stdout.write(
    `  backend at ${backend.url} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  const machine = (name: string) => {
    const home = path.join(workdir, name);
    mkdirSync(home, { recursive: true });
    return new CliMachine({ bin: cliBin, name, home, url: backend.url, anonKey: backend.anonKey });
  };
  const machines: Machine[] = [
    {
      cli: machine('work-laptop'),
      transcripts: {
        '-home-dev-fasthooks/sample_main_transcript.jsonl':
          'oneryalcin-fasthooks/sample_main_transcript.jsonl',
        '-home-dev-fasthooks/sample_agent_sidechain.jsonl':
          'oneryalcin-fasthooks/sample_agent_sidechain.jsonl',
        '-home-dev-spotter/tool_heavy.jsonl': 'marot-spotter/tool_heavy.jsonl',
      },
    },
    {
      cli: machine('home-desktop'),
      transcripts: {
        '-home-dev-spotter/short.jsonl': 'marot-spotter/short.jsonl',
        'project-alpha/chat.jsonl': 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl',
        'project-beta/chat.jsonl': 'ccusage-fixtures/claude/projects/project-beta/session-beta/chat.jsonl',
      },
    },
  ];

  try {
    step('Both machines log in as the same GitHub user (the demo clicks "Authorize" on the consent page)');
    for (const { cli } of machines) {
      const result = await cli.login();
      process.stdout.write(`  ${cli.name}: ${result.stdout.trim().split('\n').pop() || 'logged in'}\n`);
    }

    step('Each machine imports its own Claude Code transcripts');
    for (const machine of machines) {
      const claudeDir = writeTranscripts(machine);
      const result = await machine.cli.ok(['import', '--claude-dir', claudeDir]);
      process.stdout.write(`  ${machine.cli.name}: ${result.stdout.trim().split('\n').pop()}\n`);
    }

    step('Sync: laptop, desktop, then laptop again (each run pulls, pushes, pulls)');
    for (const { cli } of [machines[0]!, machines[1]!, machines[0]!]) {
      const result = await cli.ok(['sync']);
      process.stdout.write(`  ${cli.name}: ${result.stdout.trim().split('\n').join('\n    ')}\n`);
    }

    step('Consolidated stats by machine, as each machine sees them');
    const seen: string[] = [];
    for (const { cli } of machines) {
      const table = await cli.ok(['stats', '--by', 'machine']);
      process.stdout.write(`  on ${bold(cli.name)}:\n${indent(table.stdout)}\n`);
      seen.push((await cli.ok(['stats', '--by', 'machine', '--json'])).stdout);
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
