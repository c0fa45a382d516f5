import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

// What people switching from ccusage expect: the same figures from `blocks`, `statusline`, `daily --breakdown`
// and `session`, compared with ccusage 20 itself on the same folders.
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

interface Tree {
  root: string;
  cfg: string;
  codexHome: string;
  env: Record<string, string>;
}

/** Claude Code folders as ccusage expects them (`<cfg>/projects/<project>/…`), Codex rollouts under `<codex>/sessions`. */
function tree(claude: Record<string, string>, codex: string[] = []): Tree {
  const root = mkdtempSync(path.join(tmpdir(), 'agentlogs-parity-'));
  temps.push(root);
  const cfg = path.join(root, 'claude');
  mkdirSync(path.join(cfg, 'projects'), { recursive: true });
  for (const [project, source] of Object.entries(claude)) {
    const to = path.join(cfg, 'projects', project);
    mkdirSync(to, { recursive: true });
    cpSync(path.join(FIXTURES, source), to, {
      recursive: true,
      filter: (f) => statSync(f).isDirectory() || f.endsWith('.jsonl'),
    });
  }
  const codexHome = path.join(root, 'codex');
  mkdirSync(path.join(codexHome, 'sessions'), { recursive: true });
  for (const source of codex)
    cpSync(path.join(FIXTURES, source), path.join(codexHome, 'sessions'), { recursive: true });
  mkdirSync(path.join(root, 'home'), { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: path.join(root, 'home'),
    AGENTLOGS_HOME: path.join(root, 'agentlogs'),
    CLAUDE_CONFIG_DIR: cfg,
    CODEX_HOME: codexHome,
    TZ: 'UTC',
  };
  return { root, cfg, codexHome, env };
}

/**
 * A copy of a transcript folder with every timestamp moved so that its last message was `minutesAgo` minutes
 * ago: a block that is still running, for ccusage and agentlogs alike, without a fake clock.
 */
function recentCopy(t: Tree, project: string, source: string, minutesAgo: number): void {
  const to = path.join(t.cfg, 'projects', project);
  mkdirSync(to, { recursive: true });
  const files = readdirSync(path.join(FIXTURES, source)).filter((f) => f.endsWith('.jsonl'));
  const texts = files.map((f) => readFileSync(path.join(FIXTURES, source, f), 'utf8'));
  const stamp = /"timestamp":"([^"]+)"/g;
  let last = 0;
  for (const text of texts) for (const m of text.matchAll(stamp)) last = Math.max(last, Date.parse(m[1]!));
  const shift = Date.now() - minutesAgo * 60_000 - last;
  files.forEach((f, i) => {
    writeFileSync(
      path.join(to, f),
      texts[i]!.replace(
        stamp,
        (_, at: string) => `"timestamp":"${new Date(Date.parse(at) + shift).toISOString()}"`,
      ),
    );
  });
}

function run(t: Tree, args: string[], input?: string, extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...t.env, ...extra },
    encoding: 'utf8',
    input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ours<T>(t: Tree, args: string[], extra: Record<string, string> = {}): T {
  const r = run(t, [...args, '--json'], undefined, extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

function importTree(t: Tree): void {
  const r = run(t, ['import', '--claude-dir', t.cfg, '--codex-dir', t.codexHome]);
  expect(r.code, r.stderr).toBe(0);
}

function theirs<T>(t: Tree, args: string[], input?: string): T {
  const r = spawnSync(ccusage, args, { env: t.env, encoding: 'utf8', input });
  expect(r.status, r.stderr).toBe(0);
  return (args.includes('--json') ? JSON.parse(r.stdout) : r.stdout.trim()) as T;
}

interface TheirBlock {
  id: string;
  startTime: string;
  endTime: string;
  actualEndTime: string | null;
  isActive: boolean;
  isGap: boolean;
  entries: number;
  costUSD: number;
  totalTokens: number;
  tokenCounts: {
    inputTokens: number;
    outputTokens: number;
    cacheCreationInputTokens: number;
    cacheReadInputTokens: number;
  };
  burnRate: { costPerHour: number; tokensPerMinute: number; tokensPerMinuteForIndicator: number } | null;
  projection: { remainingMinutes: number; totalCost: number; totalTokens: number } | null;
}

interface OurBlock {
  id: string;
  start: string;
  end: string;
  actual_end: string | null;
  is_active: boolean;
  is_gap: boolean;
  entries: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  total_tokens: number;
  cost_usd: number;
  burn_rate: {
    cost_per_hour: number;
    tokens_per_minute: number;
    tokens_per_minute_for_indicator: number;
  } | null;
  projection: { remaining_minutes: number; total_cost_usd: number; total_tokens: number } | null;
}

interface Figures {
  key: string;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
  project?: string | null;
  agent?: string | null;
  last_activity?: string | null;
  models?: (Figures & { model: string })[];
}

interface Report {
  totals: Figures;
  rows: Figures[];
  prices: { source: string; date: string };
}

const comparable = (b: OurBlock) => ({
  id: b.id,
  start: b.start,
  end: b.end,
  actualEnd: b.actual_end,
  gap: b.is_gap,
  entries: b.entries,
  tokens: [b.input_tokens, b.output_tokens, b.cache_creation_tokens, b.cache_read_tokens, b.total_tokens],
});
const comparableTheirs = (b: TheirBlock) => ({
  id: b.id,
  start: b.startTime,
  end: b.endTime,
  actualEnd: b.actualEndTime,
  gap: b.isGap,
  entries: b.entries,
  tokens: [
    b.tokenCounts.inputTokens,
    b.tokenCounts.outputTokens,
    b.tokenCounts.cacheCreationInputTokens,
    b.tokenCounts.cacheReadInputTokens,
    b.totalTokens,
  ],
});

describe.skipIf(!existsSync(ccusage))('ccusage parity', () => {
  it('--since/--until take YYYYMMDD as ccusage does, and give what YYYY-MM-DD gives, equal to ccusage daily', () => {
    const t = tree({
      alpha: 'ccusage-fixtures/claude/projects/project-alpha',
      beta: 'ccusage-fixtures/claude/projects/project-beta',
      hooks: 'oneryalcin-fasthooks',
    });
    importTree(t);
    const compact = ours<Report>(t, ['stats', '--since', '20260109', '--until', '20260110']);
    const dashed = ours<Report>(t, ['stats', '-s', '2026-01-09', '-u', '2026-01-10']);
    expect(compact).toEqual(dashed);
    expect(compact.rows.map((r) => r.key)).toEqual(['2026-01-09', '2026-01-10']);
    const reference = theirs<{ daily: { period: string; inputTokens: number; outputTokens: number }[] }>(t, [
      'daily',
      '--json',
      '--offline',
      '--since',
      '20260109',
      '--until',
      '20260110',
    ]);
    expect(compact.rows.map((r) => [r.key, r.input_tokens, r.output_tokens])).toEqual(
      reference.daily.map((d) => [d.period, d.inputTokens, d.outputTokens]),
    );
    for (const bad of ['2026011', '20261301', '2026-02-30', '2026/01/09']) {
      const r = run(t, ['stats', '--since', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('--since must be a date written YYYY-MM-DD or YYYYMMDD');
    }
  });

  it('--breakdown lists each day and month per model, as ccusage daily --breakdown does', () => {
    const t = tree({
      alpha: 'ccusage-fixtures/claude/projects/project-alpha',
      beta: 'ccusage-fixtures/claude/projects/project-beta',
      hooks: 'oneryalcin-fasthooks',
      spotter: 'marot-spotter',
    });
    importTree(t);
    const mine = ours<Report>(t, ['stats', '--breakdown']);
    const reference = theirs<{
      daily: {
        period: string;
        modelBreakdowns: {
          modelName: string;
          inputTokens: number;
          outputTokens: number;
          cacheCreationTokens: number;
          cacheReadTokens: number;
          cost: number;
        }[];
      }[];
    }>(t, ['daily', '--breakdown', '--json', '--offline']);
    // ccusage lists a model's fast-mode usage as a model of its own ("<model>-fast"); agentlogs keeps the model
    // id as the transcript names it and prices each response at its speed. Folded, the figures are the same.
    const fold = (name: string) => name.replace(/-fast$/, '');
    const theirRows = reference.daily.map((d) => {
      const byModel = new Map<string, number[]>();
      for (const m of d.modelBreakdowns) {
        const sum = byModel.get(fold(m.modelName)) ?? [0, 0, 0, 0, 0];
        byModel.set(fold(m.modelName), [
          sum[0]! + m.inputTokens,
          sum[1]! + m.outputTokens,
          sum[2]! + m.cacheCreationTokens,
          sum[3]! + m.cacheReadTokens,
          sum[4]! + m.cost,
        ]);
      }
      return [d.period, [...byModel.entries()].sort(([a], [b]) => (a < b ? -1 : 1))];
    });
    const myRows = mine.rows.map((r) => [
      r.key,
      (r.models ?? [])
        .map((m) => [
          m.model,
          [m.input_tokens, m.output_tokens, m.cache_creation_tokens, m.cache_read_tokens, m.cost_usd],
        ])
        .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
    ]);
    expect(myRows.length).toBe(theirRows.length);
    for (const [i, [day, models]] of myRows.entries()) {
      const [theirDay, theirModels] = theirRows[i]!;
      expect(day).toBe(theirDay);
      expect((models as [string, number[]][]).map(([m, f]) => [m, f.slice(0, 4)])).toEqual(
        (theirModels as [string, number[]][]).map(([m, f]) => [m, f.slice(0, 4)]),
      );
      (models as [string, number[]][]).forEach(([, f], j) => {
        expect(f[4]).toBeCloseTo((theirModels as [string, number[]][])[j]![1][4]!, 6);
      });
    }
    expect(myRows.some(([, models]) => (models as unknown[]).length > 1)).toBe(true);
    // The table shows the models under their day.
    const text = run(t, ['stats', '--by', 'month', '-b']);
    expect(text.stdout).toMatch(/^2026-01 .*\n {2}- claude-/m);
    expect(text.stdout.match(/^Prices: /gm)).toHaveLength(1);
    expect(text.stdout).not.toMatch(/\d{4}-\d{2}-\d{2}.*\d{4}-\d{2}-\d{2}\.\s*$/m);
  });

  it('--by session shows project, agent and last activity, equal to ccusage session', () => {
    const t = tree(
      {
        alpha: 'ccusage-fixtures/claude/projects/project-alpha',
        beta: 'ccusage-fixtures/claude/projects/project-beta',
        hooks: 'oneryalcin-fasthooks',
      },
      ['ccusage-fixtures/codex/sessions'],
    );
    importTree(t);
    const mine = ours<Report>(t, ['stats', '--by', 'session']);
    const reference = theirs<{
      session: {
        period: string;
        agent: string;
        inputTokens: number;
        outputTokens: number;
        totalCost: number;
        metadata: { lastActivity: string };
      }[];
    }>(t, ['session', '--json', '--offline']);
    // A subagent's file belongs to its parent session in agentlogs; ccusage lists each file as a session.
    const sidechain = reference.session.findIndex((r) => r.period === 'sample_agent_sidechain');
    const parent = reference.session.find((r) => r.period === 'sample_main_transcript')!;
    const [side] = reference.session.splice(sidechain, 1);
    parent.inputTokens += side!.inputTokens;
    parent.outputTokens += side!.outputTokens;
    if (side!.metadata.lastActivity > parent.metadata.lastActivity)
      parent.metadata.lastActivity = side!.metadata.lastActivity;
    // Last activity: ccusage's is the session's last response; agentlogs' the session's last line, which is
    // the same instant or later (a tool result, a closing message).
    const key = (agent: string, input: number, output: number) =>
      `${agent.replace('claude_code', 'claude')} ${input} ${output}`;
    const theirsByKey = new Map(
      reference.session.map((s) => [
        key(s.agent, s.inputTokens, s.outputTokens),
        Date.parse(s.metadata.lastActivity),
      ]),
    );
    expect(mine.rows.map((r) => key(r.agent ?? '', r.input_tokens, r.output_tokens)).sort()).toEqual(
      [...theirsByKey.keys()].sort(),
    );
    for (const r of mine.rows) {
      const at = Date.parse(r.last_activity ?? '');
      const theirsAt = theirsByKey.get(key(r.agent ?? '', r.input_tokens, r.output_tokens))!;
      if (r.project === '/workspace') expect(at).toBeGreaterThanOrEqual(theirsAt);
      else expect(at, r.key).toBe(theirsAt);
    }
    // The project is the session's working folder (these ccusage fixtures record none).
    expect(mine.rows.find((r) => r.project === '/workspace')?.agent).toBe('claude_code');
    const text = run(t, ['stats', '--by', 'session']);
    expect(text.stdout).toMatch(/^session +project +agent +last activity +input/m);
    expect(text.stdout).toMatch(/^session-alpha +\(unknown\) +claude_code +2026-01-10 09:15 /m);
    expect(text.stdout).toMatch(/ +\/workspace +claude_code +2026-01-02 19:21 /m);
  });

  it('--by agent and --agent split the usage by agent; each agent equals ccusage on its own folder', () => {
    const t = tree({ beta: 'ccusage-fixtures/claude/projects/project-beta' }, [
      'ccusage-fixtures/codex/sessions',
    ]);
    importTree(t);
    const byAgent = ours<Report>(t, ['stats', '--by', 'agent']);
    expect(byAgent.rows.map((r) => r.key)).toEqual(['claude_code', 'codex']);
    for (const agent of ['claude_code', 'codex']) {
      const only = ours<Report>(t, ['stats', '--agent', agent === 'claude_code' ? 'claude-code' : agent]);
      const row = byAgent.rows.find((r) => r.key === agent)!;
      expect(only.totals.input_tokens).toBe(row.input_tokens);
      expect(only.totals.output_tokens).toBe(row.output_tokens);
      // ccusage on a tree holding only this agent's folder.
      const alone = tree(
        agent === 'claude_code' ? { beta: 'ccusage-fixtures/claude/projects/project-beta' } : {},
        agent === 'codex' ? ['ccusage-fixtures/codex/sessions'] : [],
      );
      const reference = theirs<{ totals: { inputTokens: number; outputTokens: number; totalCost: number } }>(
        alone,
        ['daily', '--json', '--offline'],
      );
      expect([only.totals.input_tokens, only.totals.output_tokens]).toEqual([
        reference.totals.inputTokens,
        reference.totals.outputTokens,
      ]);
      expect(only.totals.cost_usd).toBeCloseTo(reference.totals.totalCost, 6);
    }
    const sessions = ours<Report>(t, ['stats', '--by', 'session', '--agent', 'codex']);
    expect(sessions.rows.every((r) => r.agent === 'codex')).toBe(true);
    // commits list takes --agent too: every commit is of one agent or the other.
    const commits = (agent?: string) =>
      ours<{ id: string }[]>(t, ['commits', 'list', '--limit', '0', ...(agent ? ['--agent', agent] : [])]);
    const [claudeCommits, codexCommits] = [commits('claude-code'), commits('codex')];
    expect(claudeCommits.length).toBeGreaterThan(0);
    expect(codexCommits.length).toBeGreaterThan(0);
    expect([...claudeCommits, ...codexCommits].map((c) => c.id).sort()).toEqual(
      commits()
        .map((c) => c.id)
        .sort(),
    );
    const none = run(t, ['stats', '--agent', 'gemini']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No usage recorded for agent "gemini"');
  });

  it('--by block gives the blocks and gaps of ccusage blocks: same start, end, tokens and cost', () => {
    const t = tree({
      alpha: 'ccusage-fixtures/claude/projects/project-alpha',
      beta: 'ccusage-fixtures/claude/projects/project-beta',
      hooks: 'oneryalcin-fasthooks',
    });
    importTree(t);
    const mine = ours<{ agent: string; blocks: OurBlock[] }>(t, ['stats', '--by', 'block']);
    const reference = theirs<{ blocks: TheirBlock[] }>(t, ['blocks', '--json', '--offline']);
    expect(mine.agent).toBe('claude_code');
    expect(mine.blocks.map(comparable)).toEqual(reference.blocks.map(comparableTheirs));
    for (const [i, b] of mine.blocks.entries())
      expect(b.cost_usd).toBeCloseTo(reference.blocks[i]!.costUSD, 6);
    expect(mine.blocks.filter((b) => b.is_gap).length).toBeGreaterThan(1);
    expect(mine.blocks.some((b) => b.is_active)).toBe(false);
    const text = run(t, ['stats', '--by', 'block']);
    expect(text.stdout).toMatch(/^2026-01-09 10:00 +last at 12:30 /m);
    expect(text.stdout).toMatch(/^2026-01-03 00:20 +gap of 6d 9h/m);
  });

  it('on sessions with agent_progress lines, blocks count what ccusage daily counts (ccusage blocks skips those lines)', () => {
    const t = tree({ spotter: 'marot-spotter' });
    importTree(t);
    const mine = ours<{ blocks: OurBlock[] }>(t, ['stats', '--by', 'block']);
    const blocks = theirs<{ blocks: TheirBlock[] }>(t, ['blocks', '--json', '--offline']);
    const daily = theirs<{ daily: { period: string; totalTokens: number }[] }>(t, [
      'daily',
      '--json',
      '--offline',
    ]);
    const real = <B extends { isGap?: boolean; is_gap?: boolean }>(list: B[]) =>
      list.filter((b) => !(b.isGap ?? b.is_gap));
    // The same windows.
    expect(real(mine.blocks).map((b) => [b.start, b.end])).toEqual(
      real(blocks.blocks).map((b) => [b.startTime, b.endTime]),
    );
    // Every token ccusage daily counts is in a block.
    expect(real(mine.blocks).reduce((n, b) => n + b.total_tokens, 0)).toBe(
      daily.daily.reduce((n, d) => n + d.totalTokens, 0),
    );
    // The gaps start five hours after a block's last response: ccusage takes the instant of a streamed
    // response's last line, agentlogs that of its first line (the turn's), a few seconds earlier.
    const gaps = (list: { id: string }[]) => list.filter((b) => b.id.startsWith('gap-'));
    expect(gaps(mine.blocks).length).toBe(gaps(blocks.blocks).length);
    gaps(mine.blocks).forEach((g, i) => {
      const theirsGap = gaps(blocks.blocks)[i] as TheirBlock;
      expect(Math.abs(Date.parse((g as OurBlock).start) - Date.parse(theirsGap.startTime))).toBeLessThan(
        10_000,
      );
    });
    // ccusage blocks counts fewer: the responses written only in agent_progress lines.
    const mineTotal = mine.blocks.reduce((n, b) => n + b.total_tokens, 0);
    const theirsTotal = blocks.blocks.reduce((n, b) => n + b.totalTokens, 0);
    // Those responses, each counted once (a response streams in several progress lines).
    const progressOnly = new Map<string, number>();
    for (const line of readFileSync(path.join(FIXTURES, 'marot-spotter', 'subagent.jsonl'), 'utf8').split(
      '\n',
    )) {
      if (!line.includes('"agent_progress"')) continue;
      const message = JSON.parse(line).data.message?.message;
      const u = message?.usage;
      if (!u) continue;
      const total =
        u.input_tokens +
        u.output_tokens +
        (u.cache_creation_input_tokens ?? 0) +
        (u.cache_read_input_tokens ?? 0);
      progressOnly.set(message.id, Math.max(progressOnly.get(message.id) ?? 0, total));
    }
    expect(progressOnly.size).toBeGreaterThan(0);
    expect(mineTotal - theirsTotal).toBe([...progressOnly.values()].reduce((a, b) => a + b, 0));
  });
  it('the active block has the burn rate and projection of ccusage blocks, and the statusline the same line as ccusage statusline', async () => {
    const t = tree({});
    recentCopy(t, 'hooks', 'oneryalcin-fasthooks', 12);
    importTree(t);
    const mine = ours<{ blocks: OurBlock[] }>(t, ['stats', '--by', 'block']);
    const reference = theirs<{ blocks: TheirBlock[] }>(t, ['blocks', '--json', '--offline']);
    expect(mine.blocks.map(comparable)).toEqual(reference.blocks.map(comparableTheirs));
    const [a, b] = [mine.blocks.at(-1)!, reference.blocks.at(-1)!];
    expect(a.is_active).toBe(true);
    expect(b.isActive).toBe(true);
    expect(a.burn_rate!.tokens_per_minute).toBeCloseTo(b.burnRate!.tokensPerMinute, 6);
    expect(a.burn_rate!.tokens_per_minute_for_indicator).toBeCloseTo(
      b.burnRate!.tokensPerMinuteForIndicator,
      6,
    );
    expect(a.burn_rate!.cost_per_hour).toBeCloseTo(b.burnRate!.costPerHour, 6);
    // The projection runs to the block's end from "now", a few seconds apart between the two runs.
    expect(Math.abs(a.projection!.remaining_minutes - b.projection!.remainingMinutes)).toBeLessThanOrEqual(1);
    expect(a.projection!.total_tokens / b.projection!.totalTokens).toBeCloseTo(1, 1);
    expect(a.projection!.total_cost_usd / b.projection!.totalCost).toBeCloseTo(1, 1);
    const text = run(t, ['stats', '--by', 'block']);
    expect(text.stdout).toMatch(/active, \d+h \d+m left/);
    expect(text.stdout).toMatch(
      /^Active block: [\d,]+ tokens\/min, \$\d+\.\d\d\/h; by \d\d:00 \(\d+h \d+m left\) about [\d,]+ tokens, \$\d+\.\d\d$/m,
    );

    // The statusline, for the session of that transcript and for one the database does not know.
    const session = /"sessionId":"([^"]+)"/.exec(
      readFileSync(path.join(FIXTURES, 'oneryalcin-fasthooks', 'sample_main_transcript.jsonl'), 'utf8'),
    )![1]!;
    const fixture = readFileSync(
      path.join(FIXTURES, 'ccusage-fixtures', 'statusline-test-opus4.json'),
      'utf8',
    );
    let theirToday = '';
    for (const input of [fixture, fixture.replace('test-session-opus4', session)]) {
      const line = run(t, ['statusline'], input);
      expect(line.code, line.stderr).toBe(0);
      const expected = theirs<string>(t, ['statusline', '--offline', '--no-cache'], input);
      const minutes = (s: string) => {
        const m = /\((\d+)h (\d+)m left\)/.exec(s)!;
        return Number(m[1]) * 60 + Number(m[2]);
      };
      expect(line.stdout.trim().replace(/\(\d+h \d+m left\)/, '(…)')).toBe(
        expected.replace(/\(\d+h \d+m left\)/, '(…)'),
      );
      expect(Math.abs(minutes(line.stdout) - minutes(expected))).toBeLessThanOrEqual(1);
      theirToday = /\$(\d+\.\d\d) today/.exec(expected)![1]!;
    }
    // Without Claude Code's own cost, the session's cost comes from the database.
    const noCost = JSON.parse(fixture.replace('test-session-opus4', session));
    delete noCost.cost;
    const line = run(t, ['statusline'], JSON.stringify(noCost));
    // "Today" is the part of the session since local midnight: all of it, unless the run is just after midnight.
    expect(line.stdout).toMatch(/^🤖 Opus 4\.1 \| 💰 \$0\.04 session \/ \$\d+\.\d\d today \/ \$0\.04 block/);
    expect(/\$(\d+\.\d\d) today/.exec(line.stdout)![1]).toBe(theirToday);
    const bad = run(t, ['statusline'], 'not json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("statusline reads Claude Code's status line JSON on stdin");
  });

  it('with no recent usage the statusline says so, as ccusage does', () => {
    const t = tree({ beta: 'ccusage-fixtures/claude/projects/project-beta' });
    importTree(t);
    const input = readFileSync(path.join(FIXTURES, 'ccusage-fixtures', 'statusline-test-opus4.json'), 'utf8');
    const line = run(t, ['statusline'], input);
    expect(line.stdout.trim()).toBe(
      '🤖 Opus 4.1 | 💰 $0.09 session / $0.00 today / No active block | 🧠 85,000 (43%)',
    );
    // ccusage prints the same figures (its "today" of zero as $-0.00).
    expect(
      theirs<string>(t, ['statusline', '--offline', '--no-cache'], input).replace('$-0.00', '$0.00'),
    ).toBe(line.stdout.trim());
  });
});

describe('prices', () => {
  // The server runs in a process of its own: the CLI runs are synchronous and would block one in this process.
  const SERVER = `
    const http = require('node:http');
    const fs = require('node:fs');
    let requests = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/count') { res.end(String(requests)); return; }
      requests++;
      if (req.url === '/prices.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(fs.readFileSync(process.argv[1]));
      } else if (req.url === '/broken.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"only": {"input_cost_per_token": 1, "output_cost_per_token": 1}}');
      } else { res.writeHead(404); res.end(); }
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  `;
  let server: ChildProcess | undefined;
  afterAll(() => server?.kill());
  const start = () =>
    new Promise<string>((resolve, reject) => {
      server = spawn(process.execPath, ['-e', SERVER, path.join(here, 'fixtures', 'litellm-prices.json')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      server.on('error', reject);
      server.stdout!.once('data', (port: Buffer) => resolve(`http://127.0.0.1:${String(port).trim()}`));
    });
  /** A port nothing listens on. */
  const freePort = () =>
    new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
  const count = async (base: string) => Number(await (await fetch(`${base}/count`)).text());

  it('prices refresh downloads LiteLLM prices into the data folder; stats then uses them, offline too, and names them once', async () => {
    const base = await start();
    const t = tree({ hooks: 'oneryalcin-fasthooks' });
    importTree(t);
    const before = ours<Report>(t, ['stats']);
    // Real Haiku 4.5 prices: $1 / $5 per million, cache writes $1.25, cache reads $0.10.
    const {
      input_tokens: i,
      output_tokens: o,
      cache_creation_tokens: w,
      cache_read_tokens: r,
    } = before.totals;
    expect(before.totals.cost_usd).toBeCloseTo(i * 1e-6 + o * 5e-6 + w * 1.25e-6 + r * 1e-7, 9);
    expect(ours<{ downloaded: boolean }>(t, ['prices', 'show']).downloaded).toBe(false);

    const env = { AGENTLOGS_PRICES_URL: `${base}/prices.json` };
    const refreshed = ours<{ models: number; date: string; file: string }>(t, ['prices', 'refresh'], env);
    expect(refreshed.models).toBe(12); // every entry with an input and an output price, but LiteLLM's sample_spec
    expect(refreshed.date).toBe(new Date().toISOString().slice(0, 10));
    expect(refreshed.file).toBe(path.join(t.env.AGENTLOGS_HOME!, 'prices.json'));
    // The fixture's Haiku 4.5 costs twice the real price.
    const after = ours<Report>(t, ['stats', '--offline']);
    expect(after.totals.cost_usd).toBeCloseTo(2 * before.totals.cost_usd, 9);
    expect(after.prices).toEqual({
      source: `LiteLLM model_prices_and_context_window.json (${base}/prices.json)`,
      date: refreshed.date,
    });
    const table = run(t, ['stats']);
    expect(table.stdout.match(/^Prices: /gm)).toHaveLength(1);
    expect(table.stdout.match(new RegExp(refreshed.date, 'g'))).toHaveLength(1);
    expect(ours<{ downloaded: boolean }>(t, ['prices', 'show']).downloaded).toBe(true);
    const seen = await count(base);
    run(t, ['stats']);
    run(t, ['stats', '--by', 'block']);
    expect(await count(base)).toBe(seen); // stats never goes online

    // Failures keep the prices in force and say what went wrong in one line.
    const missing = run(t, ['prices', 'refresh'], undefined, { AGENTLOGS_PRICES_URL: `${base}/nope.json` });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain(
      `could not download prices from 127.0.0.1:${new URL(base).port}: HTTP 404`,
    );
    const broken = run(t, ['prices', 'refresh'], undefined, { AGENTLOGS_PRICES_URL: `${base}/broken.json` });
    expect(broken.code).toBe(5);
    expect(broken.stderr).toContain('is not a LiteLLM price table');
    const closed = await freePort();
    const refused = run(t, ['prices', 'refresh'], undefined, {
      AGENTLOGS_PRICES_URL: `http://127.0.0.1:${closed}/p.json`,
    });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(`could not download prices from 127.0.0.1:${closed}: ECONNREFUSED`);
    expect(ours<Report>(t, ['stats']).totals.cost_usd).toBeCloseTo(after.totals.cost_usd, 9);

    // A damaged download is set aside with one warning; the shipped table is used.
    writeFileSync(path.join(t.env.AGENTLOGS_HOME!, 'prices.json'), '{"source": 1');
    const damaged = run(t, ['stats', '--json']);
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toContain('is not a readable price table');
    expect((JSON.parse(damaged.stdout) as Report).totals.cost_usd).toBeCloseTo(before.totals.cost_usd, 9);
  });
});
