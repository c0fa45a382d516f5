/** `agentlogs sessions list|show` and `agentlogs search` through the built binary, on imported transcripts. */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeTree, fixtures, ingestFixtures, Machine, removeTemps } from './e2e-harness.js';

const m = new Machine('desk', '', '');
const env = { AGENTLOGS_SUPABASE_URL: '', AGENTLOGS_SUPABASE_ANON_KEY: '' };

interface Session {
  id: string;
  native_id: string;
  agent: string;
  started_at: string;
  machine_name: string;
  project_path: string;
  title: string | null;
  turns: number;
  tokens: number;
  cost_usd: number;
}
interface Turn {
  role: string;
  content: string | null;
  tool_calls: { name: string }[];
  is_sidechain: boolean;
  cost: number | null;
}

let sessions: Session[];

beforeAll(async () => {
  const tree = claudeTree({
    spotter: [
      path.join(fixtures, 'marot-spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl'),
      path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'),
    ],
    parser: [path.join(ingestFixtures, 'git-commit-session.jsonl')],
    webapp: [path.join(ingestFixtures, 'screenshot-session.jsonl')],
  });
  // The session's subagent files, in its folder beside it.
  const agents = '4d5611e5-241a-462a-8d15-5122611a9569';
  cpSync(path.join(fixtures, 'marot-spotter', agents), path.join(tree, 'spotter', agents), {
    recursive: true,
  });
  await m.ok(['import', '--claude-dir', tree], env);
  sessions = (await m.json<{ total: number; sessions: Session[] }>(['sessions', 'list'], env)).sessions;
}, 60_000);

afterAll(() => removeTemps());

describe('agentlogs sessions', { timeout: 60_000 }, () => {
  it('lists sessions newest first with machine, project, agent, title, turns, tokens and cost', async () => {
    expect(sessions.length).toBeGreaterThanOrEqual(3);
    const starts = sessions.map((s) => s.started_at);
    expect([...starts].sort().reverse()).toEqual(starts);
    for (const s of sessions) {
      expect(s).toMatchObject({ machine_name: 'desk', agent: 'claude_code' });
      expect(s.turns).toBeGreaterThan(0);
    }
    expect(sessions.some((s) => s.cost_usd > 0 && s.tokens > 0 && s.title)).toBe(true);
    const text = await m.ok(['sessions', 'list'], env);
    expect(text.stdout).toMatch(
      /start\s+id\s+machine\s+project\s+agent\s+title or first prompt\s+turns\s+tokens\s+cost/,
    );
    expect(text.stdout).toContain(sessions[0]!.native_id.slice(0, 8));
  });

  it('filters by agent, machine, project, dates and limit, and refuses a bad date in one line', async () => {
    const list = (args: string[]) =>
      m.json<{ total: number; sessions: Session[] }>(['sessions', 'list', ...args], env);
    expect((await list(['--agent', 'codex'])).total).toBe(0);
    expect((await list(['--agent', 'gemini-cli'])).total).toBe(0);
    expect((await list(['--agent', 'claude'])).total).toBe(sessions.length);
    const unknown = await m.run(['sessions', 'list', '--agent', 'cursor'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toContain('--agent takes one of claude_code, codex,');
    expect((await list(['--machine', 'desk'])).total).toBe(sessions.length);
    expect((await list(['--machine', 'elsewhere'])).total).toBe(0);
    const project = sessions[0]!.project_path;
    const byProject = await list(['--project', project]);
    expect(byProject.sessions.every((s) => s.project_path === project)).toBe(true);
    expect((await list(['--limit', '1'])).sessions).toHaveLength(1);
    expect((await list(['--since', '2000-01-01', '--until', '2099-12-31'])).total).toBe(sessions.length);
    expect((await list(['--until', '2000-01-01'])).total).toBe(0);
    const bad = await m.run(['sessions', 'list', '--since', '2026-13-45'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toContain('--since takes a day as YYYY-MM-DD');
  });

  it('shows a conversation by id prefix: tool calls on one line with their result size, subagents nested, cost per turn', async () => {
    const withAgents = sessions.find((s) => s.native_id.startsWith('4d5611e5'))!;
    const shown = await m.json<{ session: Session; turns: Turn[] }>(
      ['sessions', 'show', withAgents.native_id.slice(0, 8)],
      env,
    );
    expect(shown.session.id).toBe(withAgents.id);
    expect(shown.turns).toHaveLength(withAgents.turns);
    expect(shown.turns.some((t) => t.is_sidechain)).toBe(true);
    expect(shown.turns.some((t) => t.role === 'assistant' && (t.cost ?? 0) > 0)).toBe(true);
    const text = (await m.ok(['sessions', 'show', withAgents.native_id], env)).stdout;
    expect(text).toMatch(/▸ \w+.* → \d+(\.\d)? (B|kB|MB)/);
    expect(text).toContain('┌ subagent');
    expect(text).toMatch(/assistant \([^)]+\) {2}\$\d+\.\d{4}/);
    // Screenshots are listed under their turn by the id `visuals get` takes, and carried in --json.
    const visuals = await m.json<{ id: string; session_id: string }[]>(['visuals', 'list'], env);
    expect(visuals).toHaveLength(3);
    const withImages = await m.json<{ turns: { visuals: { id: string; media_type: string }[] }[] }>(
      ['sessions', 'show', visuals[0]!.session_id],
      env,
    );
    const shownIds = withImages.turns.flatMap((t) => t.visuals.map((v) => v.id));
    expect(shownIds.sort()).toEqual(visuals.map((v) => v.id).sort());
    const imagesText = (await m.ok(['sessions', 'show', visuals[0]!.session_id], env)).stdout;
    expect(imagesText).toContain('▣ image png');
    for (const v of visuals) expect(imagesText).toContain(`(agentlogs visuals get ${v.id})`);
    const missing = await m.run(['sessions', 'show', 'no-such-session'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no session with id no-such-session');
  });
});

describe('agentlogs search', { timeout: 60_000 }, () => {
  it('finds a prompt by its words, as a phrase and by prefix, in the session it belongs to', async () => {
    const target = sessions.find((s) => s.title && s.title.split(/\s+/).length >= 4)!;
    const words = target.title!.replace(/"/g, ' ').split(/\s+/).filter(Boolean);
    const phrase = words.slice(0, 3).join(' ');
    const result = await m.json<{
      total: number;
      hits: { session_id: string; snippet: string; matches: [number, number][] }[];
    }>(['search', `"${phrase}"`, '--limit', '50'], env);
    expect(result.total).toBeGreaterThan(0);
    expect(result.hits.map((h) => h.session_id)).toContain(target.id);
    const hit = result.hits.find((h) => h.session_id === target.id)!;
    expect(hit.matches.length).toBeGreaterThan(0);
    const prefix = `${words.find((w) => /^\p{L}{5,}$/u.test(w))!.slice(0, 4)}*`;
    const byPrefix = await m.json<{ hits: { session_id: string }[] }>(
      ['search', prefix, '--limit', '100'],
      env,
    );
    expect(byPrefix.hits.map((h) => h.session_id)).toContain(target.id);
    const text = await m.ok(['search', phrase], env);
    expect(text.stdout).toContain('**');
    expect(text.stdout).toMatch(/matching turns in \d+ sessions/);
    const none = await m.json<{ total: number }>(['search', 'zqxjkvbw'], env);
    expect(none.total).toBe(0);
    const filtered = await m.json<{ total: number }>(
      ['search', `"${phrase}"`, '--machine', 'elsewhere'],
      env,
    );
    expect(filtered.total).toBe(0);
  });

  it('reports the index in sync status: its size and the turns it covers', async () => {
    const run = await m.run(['sync', 'status', '--json'], env);
    const report = JSON.parse(run.stdout) as {
      search: { indexBytes: number; turns: number; pendingTurns: number };
    };
    expect(report.search.indexBytes).toBeGreaterThan(0);
    expect(report.search.turns).toBe(sessions.reduce((n, s) => n + s.turns, 0));
    expect(report.search.pendingTurns).toBe(0);
    expect((await m.run(['sync', 'status'], env)).stdout).toMatch(
      /Search index: +\d+\.\d MB for [\d,]+ turns/,
    );
  });

  it('refuses an empty query in one line', async () => {
    const run = await m.run(['search', '--', '*'], env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')[0]).toContain('no letters or digits');
  });
});
