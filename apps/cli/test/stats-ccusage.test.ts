import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Each test spawns the CLI (and ccusage) several times: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'bin.js');
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
/** ccusage@20.0.24, a devDependency of packages/ingest. */
const ccusage = path.join(here, '..', '..', '..', 'packages', 'ingest', 'node_modules', '.bin', 'ccusage');
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

interface Totals {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

/** Lays fixture folders out as ccusage expects: `<cfg>/projects/<project>/<file>.jsonl`; Codex under `<codex>/sessions`. */
function layout(
  claude: Record<string, string[]>,
  codex: string[],
): { root: string; cfg: string; codexHome: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'agentlogs-ccusage-'));
  temps.push(root);
  const cfg = path.join(root, 'claude');
  for (const [project, sources] of Object.entries(claude)) {
    for (const source of sources) {
      const from = path.join(FIXTURES, source);
      const to = path.join(cfg, 'projects', project);
      mkdirSync(to, { recursive: true });
      if (source.endsWith('.jsonl')) cpSync(from, path.join(to, path.basename(source)));
      else
        for (const e of readdirSync(from, { withFileTypes: true })) {
          // Transcripts, and session folders as Claude Code lays them out (`<session>/subagents/agent-*.jsonl`).
          if (e.isFile() && e.name.endsWith('.jsonl')) cpSync(path.join(from, e.name), path.join(to, e.name));
          else if (e.isDirectory())
            cpSync(path.join(from, e.name), path.join(to, e.name), {
              recursive: true,
              filter: (f) => f.endsWith('.jsonl') || statSync(f).isDirectory(),
            });
        }
    }
  }
  const codexHome = path.join(root, 'codex');
  mkdirSync(path.join(codexHome, 'sessions'), { recursive: true });
  for (const source of codex)
    cpSync(path.join(FIXTURES, source), path.join(codexHome, 'sessions'), { recursive: true });
  mkdirSync(path.join(root, 'home'), { recursive: true });
  return { root, cfg, codexHome };
}

function runCcusage(t: ReturnType<typeof layout>) {
  const r = spawnSync(ccusage, ['daily', '--json', '--offline'], {
    env: {
      PATH: process.env.PATH,
      HOME: path.join(t.root, 'home'),
      CLAUDE_CONFIG_DIR: t.cfg,
      CODEX_HOME: t.codexHome,
      TZ: 'UTC',
    },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    daily: {
      period: string;
      inputTokens: number;
      outputTokens: number;
      cacheCreationTokens: number;
      cacheReadTokens: number;
      totalCost: number;
    }[];
    totals: {
      inputTokens: number;
      outputTokens: number;
      cacheCreationTokens: number;
      cacheReadTokens: number;
      totalCost: number;
    };
  };
}

function runOurs(t: ReturnType<typeof layout>) {
  const env = {
    PATH: process.env.PATH,
    HOME: path.join(t.root, 'home'),
    AGENTLOGS_HOME: path.join(t.root, 'agentlogs'),
    TZ: 'UTC',
  };
  const imported = spawnSync(
    process.execPath,
    [bin, 'import', '--claude-dir', t.cfg, '--codex-dir', t.codexHome, '--json'],
    {
      env,
      encoding: 'utf8',
    },
  );
  expect(imported.status, imported.stderr).toBe(0);
  const stats = spawnSync(process.execPath, [bin, 'stats', '--json'], { env, encoding: 'utf8' });
  expect(stats.status, stats.stderr).toBe(0);
  return {
    imported: JSON.parse(imported.stdout) as { usageLinesNotCompact: number },
    stats: JSON.parse(stats.stdout) as {
      totals: {
        input_tokens: number;
        output_tokens: number;
        cache_creation_tokens: number;
        cache_read_tokens: number;
        cost_usd: number;
      };
      rows: {
        key: string;
        input_tokens: number;
        output_tokens: number;
        cache_creation_tokens: number;
        cache_read_tokens: number;
        cost_usd: number;
      }[];
    },
  };
}

const ours = (r: {
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
}): Totals => ({
  input: r.input_tokens,
  output: r.output_tokens,
  cacheCreation: r.cache_creation_tokens,
  cacheRead: r.cache_read_tokens,
});
const theirs = (r: {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}): Totals => ({
  input: r.inputTokens,
  output: r.outputTokens,
  cacheCreation: r.cacheCreationTokens,
  cacheRead: r.cacheReadTokens,
});

describe.skipIf(!existsSync(ccusage))('token totals equal ccusage 20 (daily --json --offline)', () => {
  it('on transcripts as Claude Code writes them (real 2.0/2.1 sessions, subagents, costUSD, fast, Codex)', () => {
    const t = layout(
      {
        'oneryalcin-fasthooks': ['oneryalcin-fasthooks'],
        'marot-spotter': ['marot-spotter'],
        'project-alpha': ['ccusage-fixtures/claude/projects/project-alpha/session-alpha'],
        'project-beta': ['ccusage-fixtures/claude/projects/project-beta/session-beta'],
      },
      ['ccusage-fixtures/codex/sessions'],
    );
    const reference = runCcusage(t);
    const mine = runOurs(t);
    expect(mine.imported.usageLinesNotCompact).toBe(0);
    expect(ours(mine.stats.totals)).toEqual(theirs(reference.totals));
    expect(mine.stats.rows.map((r) => [r.key, ours(r)])).toEqual(
      reference.daily.map((d) => [d.period, theirs(d)]),
    );
    // Costs agree too (costUSD where given, the same LiteLLM prices otherwise).
    expect(mine.stats.totals.cost_usd).toBeCloseTo(reference.totals.totalCost, 6);
    expect(reference.totals.inputTokens + reference.totals.outputTokens).toBeGreaterThan(0);
  });

  it('on real 2.1 sessions whose subagent responses are in agent_progress lines, with or without subagent files', () => {
    const [session, other] = ['ae4a77f8-aedd-4bc1-888f-c94edc91af04', '4d5611e5-241a-462a-8d15-5122611a9569'];
    const cases: Record<string, string[]> = {
      // Five subagent responses written only in the parent's progress lines (no subagent file).
      'progress lines only': ['subagent.jsonl'],
      'a parent whose subagent files are missing': [`${session}.jsonl`],
      // Both: every response in progress lines is in the subagent file too, and counts once.
      'a parent with its subagent files': [`${session}.jsonl`, session],
      'another parent with its subagent files': [`${other}.jsonl`, other],
      'a subagent file whose parent is missing': [other],
    };
    for (const [name, files] of Object.entries(cases)) {
      const t = layout({}, []);
      for (const f of files)
        cpSync(path.join(FIXTURES, 'marot-spotter', f), path.join(t.cfg, 'projects', 'spotter', f), {
          recursive: true,
        });
      const reference = runCcusage(t);
      const mine = runOurs(t);
      expect(ours(mine.stats.totals), name).toEqual(theirs(reference.totals));
      expect(
        mine.stats.rows.map((r) => [r.key, ours(r)]),
        name,
      ).toEqual(reference.daily.map((d) => [d.period, theirs(d)]));
      expect(mine.stats.totals.cost_usd, name).toBeCloseTo(reference.totals.totalCost, 6);
    }
    // Independently: the progress-only responses carry usage, so counting them is what made the totals equal.
    let progressOnly = 0;
    for (const line of readFileSync(path.join(FIXTURES, 'marot-spotter', 'subagent.jsonl'), 'utf8').split(
      '\n',
    )) {
      if (!line.includes('"agent_progress"')) continue;
      const usage = JSON.parse(line).data.message?.message?.usage;
      if (usage) progressOnly += usage.input_tokens + usage.output_tokens;
    }
    expect(progressOnly).toBeGreaterThan(0);
  });

  it('on the hand-written daaain set: the difference is exactly the usage on pretty-printed lines ccusage skips', () => {
    const t = layout({ daaain: ['daaain-claude-code-log'] }, []);
    const reference = runCcusage(t);
    const mine = runOurs(t);
    // Independently: the usage of lines written as `"usage": {`, which ccusage 20 does not read.
    const skipped: Totals = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
    let skippedLines = 0;
    for (const f of readdirSync(path.join(FIXTURES, 'daaain-claude-code-log')).filter((n) =>
      n.endsWith('.jsonl'),
    )) {
      for (const line of readFileSync(path.join(FIXTURES, 'daaain-claude-code-log', f), 'utf8').split('\n')) {
        if (!line.includes('"usage": {')) continue;
        const u = JSON.parse(line).message.usage;
        skippedLines++;
        skipped.input += u.input_tokens;
        skipped.output += u.output_tokens;
        skipped.cacheCreation += u.cache_creation_input_tokens ?? 0;
        skipped.cacheRead += u.cache_read_input_tokens ?? 0;
      }
    }
    expect(skippedLines).toBeGreaterThan(0);
    expect(mine.imported.usageLinesNotCompact).toBe(skippedLines);
    const expected = theirs(reference.totals);
    expect(ours(mine.stats.totals)).toEqual({
      input: expected.input + skipped.input,
      output: expected.output + skipped.output,
      cacheCreation: expected.cacheCreation + skipped.cacheCreation,
      cacheRead: expected.cacheRead + skipped.cacheRead,
    });
  });
});
