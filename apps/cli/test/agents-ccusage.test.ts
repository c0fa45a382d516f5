import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Each case spawns the CLI twice and ccusage once: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'bin.js');
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
const SAMPLES = path.join(FIXTURES, 'jazzyalex-agent-sessions');
const OWN = path.join(here, '..', '..', '..', 'packages', 'ingest', 'test', 'fixtures', 'agents');
/** An OpenCode database as current releases write it (git-ai's test fixture). */
const OPENCODE_DB = path.join(FIXTURES, 'git-ai-project-git-ai', 'opencode-sqlite', 'opencode.db');
/** The Amp threads of ccusage's own tests (one thread per file; several files share a thread id). */
const AMP_THREADS = path.join(FIXTURES, 'ccusage-fixtures', 'amp');
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

interface Agent {
  /** ccusage's command for the agent. */
  command: string;
  /** The variable both tools read. */
  env: string;
  /** agentlogs' option. */
  flag: string;
  /** Lays the agent's folder out under `dir` as the agent writes it. */
  lay(dir: string): void;
}

function copy(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

/** The public samples, each laid out where its agent keeps it. */
const AGENTS: Record<string, Agent> = {
  'Gemini CLI': {
    command: 'gemini',
    env: 'GEMINI_DATA_DIR',
    flag: '--gemini-dir',
    lay(dir) {
      // <tmp>/<project hash>/chats/: whole-session JSON files (before 0.40) and a JSON-lines chat (0.40+).
      for (const f of readdirSync(path.join(SAMPLES, 'gemini')))
        copy(path.join(SAMPLES, 'gemini', f), path.join(dir, 'a1b2c3', 'chats', f));
    },
  },
  'Qwen Code': {
    command: 'qwen',
    env: 'QWEN_DATA_DIR',
    flag: '--qwen-dir',
    lay(dir) {
      for (const f of readdirSync(path.join(SAMPLES, 'qwen')))
        copy(path.join(SAMPLES, 'qwen', f), path.join(dir, 'projects', 'fixture', 'chats', f));
    },
  },
  OpenCode: {
    command: 'opencode',
    env: 'OPENCODE_DATA_DIR',
    flag: '--opencode-dir',
    lay(dir) {
      // Both sample stores in one storage folder (their sessions and messages have distinct ids).
      for (const store of ['storage_v2', 'storage_legacy'])
        for (const f of readdirSync(path.join(SAMPLES, 'opencode', store)))
          copy(path.join(SAMPLES, 'opencode', store, f), path.join(dir, 'storage', f));
    },
  },
  'OpenCode, opencode.db': {
    command: 'opencode',
    env: 'OPENCODE_DATA_DIR',
    flag: '--opencode-dir',
    lay(dir) {
      copy(OPENCODE_DB, path.join(dir, 'opencode.db'));
    },
  },
  'OpenCode, a channel database beside storage/': {
    command: 'opencode',
    env: 'OPENCODE_DATA_DIR',
    flag: '--opencode-dir',
    lay(dir) {
      // A release channel's database (`opencode-<channel>.db`) next to message files of earlier releases.
      copy(OPENCODE_DB, path.join(dir, 'opencode-beta.db'));
      for (const f of readdirSync(path.join(SAMPLES, 'opencode', 'storage_v2')))
        copy(path.join(SAMPLES, 'opencode', 'storage_v2', f), path.join(dir, 'storage', f));
    },
  },
  'GitHub Copilot CLI': {
    command: 'copilot',
    env: 'COPILOT_HOME',
    flag: '--copilot-dir',
    lay(dir) {
      const state = path.join(dir, 'session-state');
      copy(path.join(SAMPLES, 'copilot', 'subdir_v1'), state);
      for (const name of ['small', 'large', 'schema_drift'])
        copy(path.join(SAMPLES, 'copilot', `${name}.jsonl`), path.join(state, name, 'events.jsonl'));
    },
  },
  Amp: {
    command: 'amp',
    env: 'AMP_DATA_DIR',
    flag: '--amp-dir',
    lay(dir) {
      // <data>/threads/<thread id>.json: a thread with per-message usage and one with a usage ledger.
      for (const f of [
        'reads_usage_from_messages_when_ledger_is_missing.json',
        'ledger_events_take_precedence_over_messages_usage.json',
      ])
        copy(path.join(AMP_THREADS, f), path.join(dir, 'threads', f));
    },
  },
};

interface Report {
  daily: {
    date: string;
    inputTokens: number;
    outputTokens: number;
    cacheCreationTokens: number;
    cacheReadTokens: number;
  }[];
  totals: {
    inputTokens: number;
    outputTokens: number;
    cacheCreationTokens: number;
    cacheReadTokens: number;
    totalTokens: number;
    totalCost: number;
  };
}

function tree(agent: Agent): { root: string; dir: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'agentlogs-agents-'));
  temps.push(root);
  mkdirSync(path.join(root, 'home'));
  const dir = path.join(root, 'agent');
  agent.lay(dir);
  return { root, dir };
}

function runCcusage(agent: Agent, t: { root: string; dir: string }): Report {
  const r = spawnSync(ccusage, [agent.command, 'daily', '--json', '--offline'], {
    env: { PATH: process.env.PATH, HOME: path.join(t.root, 'home'), [agent.env]: t.dir, TZ: 'UTC' },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

interface OurRow {
  key: string;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
}

/** Imports with the agent's option (or, with `viaEnv`, its variable alone) and returns `stats --json`. */
function runOurs(agent: Agent, t: { root: string; dir: string }, viaEnv = false) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: path.join(t.root, 'home'),
    AGENTLOGS_HOME: path.join(t.root, 'agentlogs'),
    TZ: 'UTC',
    ...(viaEnv ? { [agent.env]: t.dir } : {}),
  };
  const args = viaEnv ? ['import', '--json'] : ['import', agent.flag, t.dir, '--json'];
  const imported = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  expect(imported.status, imported.stderr).toBe(0);
  const stats = spawnSync(process.execPath, [bin, 'stats', '--json'], { env, encoding: 'utf8' });
  expect(stats.status, stats.stderr).toBe(0);
  return {
    imported: JSON.parse(imported.stdout) as {
      filesFound: number;
      turnsAdded: number;
      filesFailed: unknown[];
    },
    stats: JSON.parse(stats.stdout) as { totals: OurRow & { turns: number }; rows: OurRow[] },
  };
}

const ours = (r: OurRow): Totals => ({
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
const anyTokens = (t: Totals) => t.input + t.output + t.cacheCreation + t.cacheRead > 0;

describe.skipIf(!existsSync(ccusage))(
  'token totals equal ccusage 20 for every agent (public samples)',
  () => {
    for (const [name, agent] of Object.entries(AGENTS)) {
      it(`${name}: totals, days and cost`, () => {
        const t = tree(agent);
        const reference = runCcusage(agent, t);
        const mine = runOurs(agent, t);
        expect(mine.imported.filesFailed).toEqual([]);
        expect(mine.imported.turnsAdded).toBeGreaterThan(0);
        expect(theirs(reference.totals).input + reference.totals.outputTokens).toBeGreaterThan(0);
        expect(ours(mine.stats.totals)).toEqual(theirs(reference.totals));
        // Day by day (days whose turns carry no usage are rows of ours only).
        expect(mine.stats.rows.filter((r) => anyTokens(ours(r))).map((r) => [r.key, ours(r)])).toEqual(
          reference.daily.map((d) => [d.date, theirs(d)]),
        );
        expect(mine.stats.totals.cost_usd).toBeCloseTo(reference.totals.totalCost, 6);
        // The variable alone points agentlogs at the same folder, as it does ccusage.
        const t2 = { root: mkdtempSync(path.join(tmpdir(), 'agentlogs-agents-env-')), dir: t.dir };
        temps.push(t2.root);
        mkdirSync(path.join(t2.root, 'home'));
        expect(ours(runOurs(agent, t2, true).stats.totals)).toEqual(theirs(reference.totals));
      });
    }

    for (const file of readdirSync(AMP_THREADS)) {
      it(`Amp, ccusage's thread ${file} alone: totals and cost`, () => {
        const agent: Agent = {
          ...AGENTS.Amp!,
          lay: (dir) => copy(path.join(AMP_THREADS, file), path.join(dir, 'threads', file)),
        };
        const t = tree(agent);
        const reference = runCcusage(agent, t);
        const mine = runOurs(agent, t);
        expect(mine.imported.filesFailed).toEqual([]);
        expect(ours(mine.stats.totals)).toEqual(theirs(reference.totals));
        expect(mine.stats.totals.cost_usd).toBeCloseTo(reference.totals.totalCost, 6);
      });
    }

    /** Agents whose transcripts carry no token counts (docs/decisions/0099), laid out where each keeps them. */
    const WITHOUT_USAGE: Record<string, Agent & { files: number }> = {
      'Antigravity CLI': {
        command: 'antigravity',
        env: 'ANTIGRAVITY_DATA_DIR',
        flag: '--antigravity-dir',
        files: 2,
        lay(dir) {
          // <root>/brain/<conversation>/.system_generated/logs/transcript.jsonl
          for (const f of readdirSync(path.join(SAMPLES, 'antigravity')))
            copy(
              path.join(SAMPLES, 'antigravity', f),
              path.join(
                dir,
                'brain',
                f.replace('.jsonl', ''),
                '.system_generated',
                'logs',
                'transcript.jsonl',
              ),
            );
        },
      },
      Droid: {
        command: 'droid',
        env: 'DROID_SESSIONS_DIR',
        flag: '--droid-dir',
        files: 3,
        lay(dir) {
          // <sessions>/<project>/<session id>.jsonl
          for (const f of readdirSync(path.join(SAMPLES, 'droid')))
            copy(path.join(SAMPLES, 'droid', f), path.join(dir, '-tmp', f));
        },
      },
    };
    for (const [name, agent] of Object.entries(WITHOUT_USAGE)) {
      it(`${name}: the transcripts carry no token counts; ccusage reads none from that folder either`, () => {
        const t = tree(agent);
        const reference = runCcusage(agent, t);
        const mine = runOurs(agent, t);
        expect(mine.imported.filesFailed).toEqual([]);
        expect(mine.imported.filesFound).toBe(agent.files);
        expect(mine.imported.turnsAdded).toBeGreaterThan(0);
        expect(ours(mine.stats.totals)).toEqual(theirs(reference.totals));
        expect(anyTokens(ours(mine.stats.totals))).toBe(false);
        // The variable alone points agentlogs at the same folder.
        const t2 = { root: mkdtempSync(path.join(tmpdir(), 'agentlogs-agents-env-')), dir: t.dir };
        temps.push(t2.root);
        mkdirSync(path.join(t2.root, 'home'));
        expect(runOurs(agent, t2, true).imported.turnsAdded).toBe(mine.imported.turnsAdded);
      });
    }

    it('every sample folder of the adapters is compared above', () => {
      expect(
        readdirSync(SAMPLES)
          .filter((f) => f !== 'LICENSE')
          .sort(),
      ).toEqual(['antigravity', 'copilot', 'droid', 'gemini', 'opencode', 'qwen'].sort());
    });
  },
);

describe('the agents added in docs/decisions/0099 in every read command', () => {
  it('stats --by agent, stats --agent and sessions list --agent name Amp, Antigravity CLI and Droid', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'agentlogs-agents-by-'));
    temps.push(root);
    mkdirSync(path.join(root, 'home'));
    const dirs = {
      amp: path.join(root, 'amp'),
      antigravity: path.join(root, 'ag'),
      droid: path.join(root, 'droid'),
    };
    AGENTS.Amp!.lay(dirs.amp);
    for (const f of readdirSync(path.join(SAMPLES, 'antigravity')))
      copy(
        path.join(SAMPLES, 'antigravity', f),
        path.join(dirs.antigravity, 'brain', f, '.system_generated', 'logs', 'transcript.jsonl'),
      );
    for (const f of readdirSync(path.join(SAMPLES, 'droid')))
      copy(path.join(SAMPLES, 'droid', f), path.join(dirs.droid, f));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: path.join(root, 'home'),
      AGENTLOGS_HOME: path.join(root, 'agentlogs'),
      TZ: 'UTC',
    };
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const imported = cli([
      'import',
      '--amp-dir',
      dirs.amp,
      '--antigravity-dir',
      dirs.antigravity,
      '--droid-dir',
      dirs.droid,
      '--json',
    ]);
    expect(imported.filesFailed).toEqual([]);
    expect(imported.filesFound).toBe(2 + 2 + 3);
    const byAgent = cli(['stats', '--by', 'agent', '--json']) as { rows: (OurRow & { turns: number })[] };
    expect(byAgent.rows.map((r) => r.key).sort()).toEqual(['amp', 'antigravity_cli', 'droid']);
    const amp = byAgent.rows.find((r) => r.key === 'amp')!;
    expect(amp.output_tokens).toBeGreaterThan(0);
    const only = cli(['stats', '--agent', 'amp', '--json']) as { totals: OurRow };
    expect(ours(only.totals)).toEqual(ours(amp));
    for (const [agent, sessions] of [
      ['amp', 2],
      ['antigravity-cli', 2],
      ['droid', 3],
    ] as const) {
      const listed = cli(['sessions', 'list', '--agent', agent, '--json']) as { total: number };
      expect(listed.total, agent).toBe(sessions);
    }
  });
});

describe.skipIf(!existsSync(ccusage))(
  'where ccusage 20 reads a format differently (docs/decisions/0087)',
  () => {
    it('Qwen Code: the prompt count includes its cached part, which ccusage counts again as input', () => {
      const agent = AGENTS['Qwen Code']!;
      const t = tree({
        ...agent,
        lay: (dir) =>
          copy(
            path.join(OWN, 'qwen-cached.jsonl'),
            path.join(dir, 'projects', 'app', 'chats', 'qwen-cached.jsonl'),
          ),
      });
      const reference = runCcusage(agent, t);
      const mine = runOurs(agent, t);
      // Independently, from the file: the prompts and their cached parts.
      let prompt = 0;
      let cached = 0;
      let candidates = 0;
      for (const line of readFileSync(path.join(OWN, 'qwen-cached.jsonl'), 'utf8').split('\n')) {
        const u = line ? JSON.parse(line).usageMetadata : undefined;
        if (!u) continue;
        prompt += u.promptTokenCount;
        cached += u.cachedContentTokenCount;
        candidates += u.candidatesTokenCount;
      }
      expect(cached).toBeGreaterThan(0);
      // Ours: input without the cached part, which is cache reads; ccusage's figure beside it.
      expect(ours(mine.stats.totals)).toEqual({
        input: prompt - cached,
        output: candidates,
        cacheCreation: 0,
        cacheRead: cached,
      });
      expect(theirs(reference.totals)).toEqual({
        input: prompt,
        output: candidates,
        cacheCreation: 0,
        cacheRead: cached,
      });
    });

    it('Gemini CLI: thoughts are billed output; ccusage keeps them out of its output column (in its total only)', () => {
      const agent = AGENTS['Gemini CLI']!;
      const file = path.join(OWN, 'gemini-thoughts.json');
      const t = tree({
        ...agent,
        lay: (dir) => copy(file, path.join(dir, 'f00d', 'chats', 'session-thoughts.json')),
      });
      const reference = runCcusage(agent, t);
      const mine = runOurs(agent, t);
      const thoughts = (
        JSON.parse(readFileSync(file, 'utf8')).messages as { tokens?: { thoughts: number } }[]
      ).reduce((sum, m) => sum + (m.tokens?.thoughts ?? 0), 0);
      expect(thoughts).toBeGreaterThan(0);
      const expected = theirs(reference.totals);
      expect(ours(mine.stats.totals)).toEqual({ ...expected, output: expected.output + thoughts });
      // The same tokens in all: ccusage's total counts the thoughts.
      const mineAll = mine.stats.totals;
      expect(mineAll.input_tokens + mineAll.output_tokens + mineAll.cache_read_tokens).toBe(
        reference.totals.totalTokens,
      );
      expect(mineAll.cost_usd).toBeCloseTo(reference.totals.totalCost, 6);
    });

    it('OpenCode: a message that names its model only in a nested `model` object counts; ccusage drops it', () => {
      const agent = AGENTS.OpenCode!;
      const store = path.join(OWN, 'opencode', 'storage');
      const t = tree({ ...agent, lay: (dir) => copy(store, path.join(dir, 'storage')) });
      const reference = runCcusage(agent, t);
      const mine = runOurs(agent, t);
      // Independently, from the files: every assistant message's tokens and recorded cost.
      const all: Totals = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
      const topLevel: Totals = { ...all };
      let cost = 0;
      let nested = 0;
      const folder = path.join(store, 'message', 'ses_nested');
      for (const f of readdirSync(folder)) {
        const m = JSON.parse(readFileSync(path.join(folder, f), 'utf8'));
        if (m.role !== 'assistant') continue;
        const add = (to: Totals) => {
          to.input += m.tokens.input;
          to.output += m.tokens.output;
          to.cacheCreation += m.tokens.cache.write;
          to.cacheRead += m.tokens.cache.read;
        };
        add(all);
        cost += m.cost;
        if (m.modelID) add(topLevel);
        else nested++;
      }
      expect(nested).toBeGreaterThan(0);
      expect(ours(mine.stats.totals)).toEqual(all);
      expect(mine.stats.totals.cost_usd).toBeCloseTo(cost, 9);
      expect(theirs(reference.totals)).toEqual(topLevel);
    });
  },
);
