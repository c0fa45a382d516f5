import { basename, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isGitCommitCall, parseGitCommitOutput, readClaudeLine } from '../src/claude.js';
import { ClaudeAssembler } from '../src/claude-assembler.js';
import { rowId } from '../src/ids.js';
import { isCompleteJson } from '../src/import.js';
import { readLinesFrom } from '../src/lines.js';
import type { TurnRecord } from '../src/records.js';
import { jsonLines, OWN, TRANSCRIPTS } from './helpers.js';

// Real SQLite files on a shared machine: allow for slow disks.
vi.setConfig({ testTimeout: 30_000 });

/** Parses one file the way the importer does, without a database. */
function assemble(path: string) {
  const assembler = new ClaudeAssembler(basename(path, '.jsonl'), null, false);
  const malformed: { line: number; reason: string }[] = [];
  let notCompact = 0;
  readLinesFrom(
    path,
    0,
    0,
    ({ text, line }) => {
      const entry = readClaudeLine(text);
      if (!entry || entry.kind === 'other') return;
      if (entry.kind === 'malformed') malformed.push({ line, reason: entry.reason });
      else {
        if (entry.usageNotCompact) notCompact++;
        assembler.add(entry, line);
      }
    },
    isCompleteJson,
  );
  const batch = assembler.takeBatch();
  return { batch, turns: [...batch.turns.values()], malformed, notCompact };
}

type Message = { id?: string; role?: string; usage?: { output_tokens: number; input_tokens: number } };
type Line = {
  type?: string;
  uuid?: string;
  sessionId?: string;
  requestId?: string;
  timestamp?: string;
  message?: Message;
  /** `progress` lines: a subagent's transcript line at `data.message` (`agent_progress`). */
  data?: {
    type?: string;
    agentId?: string;
    message?: { type?: string; requestId?: string; message?: Message };
  };
};

/**
 * Independent count: one turn per user line (uuid), one per assistant response (message id + request id),
 * including the subagent responses that `agent_progress` lines carry (with an id and a usage).
 */
function expectedTurns(path: string): { count: number; maxOutput: Map<string, number> } {
  const keys = new Set<string>();
  const maxOutput = new Map<string, number>();
  for (const raw of jsonLines(path)) {
    const l = raw as Line;
    if (!l || typeof l !== 'object' || Array.isArray(l)) continue;
    const inner = l.data?.message;
    if (l.type === 'progress' && inner?.type === 'assistant' && inner.message?.id && inner.message.usage) {
      const key = `${l.sessionId}|${inner.message.id}|${inner.requestId ?? ''}`;
      keys.add(key);
      maxOutput.set(key, Math.max(maxOutput.get(key) ?? 0, inner.message.usage.output_tokens));
      continue;
    }
    const type = l.type ?? l.message?.role;
    if (type !== 'user' && type !== 'assistant') continue;
    if (typeof l.message !== 'object' || !l.timestamp) continue;
    if (type === 'assistant' && l.message.id) {
      const key = `${l.sessionId}|${l.message.id}|${l.requestId ?? ''}`;
      keys.add(key);
      const out = l.message.usage?.output_tokens ?? 0;
      maxOutput.set(key, Math.max(maxOutput.get(key) ?? 0, out));
    } else keys.add(`${l.sessionId}|uuid|${l.uuid}`);
  }
  return { count: keys.size, maxOutput };
}

function byMessage(turns: TurnRecord[], messageId: string): TurnRecord {
  const t = turns.find((x) => x.messageId === messageId);
  if (!t) throw new Error(`no turn for ${messageId}`);
  return t;
}

const files = [
  'oneryalcin-fasthooks/sample_main_transcript.jsonl',
  'oneryalcin-fasthooks/sample_agent_sidechain.jsonl',
  'marot-spotter/short.jsonl',
  'marot-spotter/tool_heavy.jsonl',
  'marot-spotter/subagent.jsonl',
  'marot-spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl',
  'marot-spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl',
  'marot-spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-acompact-946d2b.jsonl',
  'marot-spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl',
  'marot-spotter/4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-a2898e3.jsonl',
  'marot-spotter/4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-acompact-e1f845.jsonl',
  'daaain-claude-code-log/representative_messages.jsonl',
  'daaain-claude-code-log/session_b.jsonl',
  'daaain-claude-code-log/todowrite_examples.jsonl',
  'daaain-claude-code-log/edge_cases.jsonl',
  'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl',
  'ccusage-fixtures/claude/projects/project-beta/session-beta/chat.jsonl',
];

describe('Claude Code transcripts: every shared fixture', () => {
  for (const file of files) {
    it(`${file}: one turn per message, streamed lines merged keeping the largest usage`, () => {
      const path = join(TRANSCRIPTS, file);
      const { turns } = assemble(path);
      const expected = expectedTurns(path);
      expect(turns.length).toBe(expected.count);
      for (const t of turns) {
        if (t.role !== 'assistant' || !t.messageId) continue;
        const lines = jsonLines(path) as Line[];
        const sessionId = lines.find(
          (l) => l?.message?.id === t.messageId || l?.data?.message?.message?.id === t.messageId,
        )?.sessionId;
        const key = `${sessionId}|${t.messageId}|${t.requestId ?? ''}`;
        expect(t.usage?.output ?? 0).toBe(expected.maxOutput.get(key));
      }
    });
  }

  it('marot short.jsonl: one response written on 5 lines is one turn with the final output count', () => {
    const path = join(TRANSCRIPTS, 'marot-spotter/short.jsonl');
    const lines = (jsonLines(path) as Line[]).filter((l) => l.type === 'assistant');
    expect(lines).toHaveLength(5);
    const ids = new Set(lines.map((l) => l.message?.id));
    expect(ids.size).toBe(1);
    const { turns } = assemble(path);
    const assistant = turns.filter((t) => t.role === 'assistant');
    expect(assistant).toHaveLength(1);
    const outputs = lines.map((l) => l.message!.usage!.output_tokens);
    expect(assistant[0]!.usage!.output).toBe(Math.max(...outputs));
    // The turn is keyed by the first line's uuid.
    expect(assistant[0]!.id).toBe(rowId.claudeTurn(lines[0]!.sessionId!, lines[0]!.uuid!));
  });

  it('oneryalcin main transcript: 28 assistant lines are 12 responses; first-line usage would undercount output', () => {
    const path = join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_main_transcript.jsonl');
    const { turns } = assemble(path);
    const assistant = turns.filter((t) => t.role === 'assistant');
    expect(assistant).toHaveLength(12);
    const lines = (jsonLines(path) as Line[]).filter((l) => l.type === 'assistant');
    const firstLineOutput = new Map<string, number>();
    for (const l of lines)
      if (!firstLineOutput.has(l.message!.id!))
        firstLineOutput.set(l.message!.id!, l.message!.usage!.output_tokens);
    const merged = assistant.reduce((s, t) => s + (t.usage?.output ?? 0), 0);
    const firstOnly = [...firstLineOutput.values()].reduce((s, n) => s + n, 0);
    expect(merged).toBeGreaterThan(firstOnly);
  });

  it('a sidechain (subagent) file attaches to its parent session', () => {
    const path = join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_agent_sidechain.jsonl');
    const { turns, batch } = assemble(path);
    const parent = rowId.claudeSession('c45af7b1-cb7c-4e51-93db-8cbb250a877a');
    expect(turns).toHaveLength(2);
    for (const t of turns) {
      expect(t.sessionId).toBe(parent);
      expect(t.isSidechain).toBe(true);
      expect(t.agentId).toBe('af1ff21');
    }
    expect([...batch.sessions.keys()]).toEqual([parent]);
    // Not a session of its own: no session keyed by the agent file name.
    expect(batch.sessions.has(rowId.claudeSession('sample_agent_sidechain'))).toBe(false);
  });

  it('marot subagent.jsonl: responses known only from agent_progress lines are turns of their subagent', () => {
    const path = join(TRANSCRIPTS, 'marot-spotter/subagent.jsonl');
    const progress = (jsonLines(path) as Line[]).filter(
      (l) => l.type === 'progress' && l.data?.type === 'agent_progress' && l.data.message?.message?.usage,
    );
    const responses = new Set(progress.map((l) => l.data!.message!.message!.id));
    expect(progress.length).toBeGreaterThan(responses.size); // streamed: several lines per response
    const { turns } = assemble(path);
    const sidechain = turns.filter((t) => t.isSidechain);
    expect(sidechain.map((t) => t.messageId).sort()).toEqual([...responses].sort());
    for (const t of sidechain) {
      const copies = progress.filter((l) => l.data!.message!.message!.id === t.messageId);
      expect(t).toMatchObject({
        id: rowId.claudeProgressTurn(copies[0]!.sessionId!, t.messageId!, t.requestId),
        sessionId: rowId.claudeSession(copies[0]!.sessionId!),
        agentId: copies[0]!.data!.agentId,
        role: 'assistant',
        commitId: null,
      });
      expect(t.usage!.output).toBe(
        Math.max(...copies.map((l) => l.data!.message!.message!.usage!.output_tokens)),
      );
      expect(t.toolCalls.length).toBeGreaterThan(0);
    }
  });

  it('project comes from cwd, not from the folder name', () => {
    const { batch } = assemble(join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_main_transcript.jsonl'));
    expect([...batch.projects.values()].map((p) => p.path)).toEqual(['/workspace']);
    const session = [...batch.sessions.values()][0]!;
    expect(session.cwd).toBe('/workspace');
    expect(session.projectId).toBe(rowId.project('/workspace'));
  });

  it('daaain edge_cases: malformed lines are counted with their line numbers and skipped', () => {
    const { malformed, turns } = assemble(join(TRANSCRIPTS, 'daaain-claude-code-log/edge_cases.jsonl'));
    expect(malformed).toEqual([
      { line: 11, reason: 'user line without a message object' },
      { line: 13, reason: 'not a JSON object' },
      { line: 14, reason: 'missing "type"' },
      { line: 15, reason: 'not a JSON object' },
      { line: 16, reason: 'not a JSON object' },
    ]);
    expect(turns.length).toBeGreaterThan(0);
  });

  it('counts usage written with spaces (which ccusage 20 skips)', () => {
    const { notCompact } = assemble(
      join(TRANSCRIPTS, 'daaain-claude-code-log/representative_messages.jsonl'),
    );
    const raw = jsonLines(
      join(TRANSCRIPTS, 'daaain-claude-code-log/representative_messages.jsonl'),
    ) as Line[];
    expect(notCompact).toBe(raw.filter((l) => l.message?.usage).length);
    expect(notCompact).toBeGreaterThan(0);
  });

  it('lines without "type" (ccusage fixtures) are read by their message role; costUSD and speed are kept', () => {
    const { turns } = assemble(
      join(TRANSCRIPTS, 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl'),
    );
    expect(turns).toHaveLength(3);
    const fast = byMessage(turns, 'msg-alpha-2');
    expect(fast.speed).toBe('fast');
    expect(fast.costUsd).toBe(0.34);
    expect(fast.usage).toMatchObject({ input: 200, output: 75, cacheCreation: 50, cacheRead: 20 });
  });
});

describe('cognitive commits', () => {
  const path = join(OWN, 'git-commit-session.jsonl');

  it('close at a successful git commit tool result, and the rest closes at session end', () => {
    const { batch, turns } = assemble(path);
    const commits = [...batch.commits.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(commits).toHaveLength(2);
    const [first, second] = commits as [(typeof commits)[0], (typeof commits)[0]];
    expect(first).toMatchObject({
      closedBy: 'git_commit',
      gitHash: '1a2b3c4',
      title: 'Add config parser',
      startedAt: '2026-03-01T10:00:00.000Z',
      closedAt: '2026-03-01T10:00:12.000Z',
    });
    expect([...first.filesChanged]).toEqual(['/home/dev/work/parser-demo/src/parse.ts']);
    // The dry run and the failed commit do not close the second segment.
    expect(second).toMatchObject({
      closedBy: 'session_end',
      gitHash: null,
      closedAt: '2026-03-01T10:05:20.000Z',
    });
    expect([...second.filesRead]).toEqual(['/home/dev/work/parser-demo/README.md']);
    const session = rowId.claudeSession('5b0e2f4e-1c1d-4b8e-9a53-2f6f0c2d7a10');
    expect(first.id).toBe(
      rowId.commit(session, rowId.claudeTurn('5b0e2f4e-1c1d-4b8e-9a53-2f6f0c2d7a10', 'u-001')),
    );
    expect(second.id).toBe(
      rowId.commit(session, rowId.claudeTurn('5b0e2f4e-1c1d-4b8e-9a53-2f6f0c2d7a10', 'a-004')),
    );
    const inFirst = turns.filter((t) => t.commitId === first.id).length;
    const inSecond = turns.filter((t) => t.commitId === second.id).length;
    expect(inFirst + inSecond).toBe(turns.length);
    expect(inFirst).toBe(5); // u-001, msg_A (two lines, one turn), u-002, msg_B, u-003
  });

  it('the streamed response msg_A is one turn holding both content blocks', () => {
    const { turns } = assemble(path);
    const a = byMessage(turns, 'msg_A');
    expect(a.id).toBe(rowId.claudeTurn('5b0e2f4e-1c1d-4b8e-9a53-2f6f0c2d7a10', 'a-001'));
    expect(a.content).toBe("I'll write the parser.");
    expect(a.toolCalls.map((c) => c.name)).toEqual(['Write']);
    expect(a.usage?.output).toBe(120);
  });
});

describe('git commit detection', () => {
  const bash = (command: string) => ({ id: 't', name: 'Bash', input: { command } });
  it('recognises git commit in the forms agents run it, not dry runs or other commands', () => {
    for (const c of [
      'git commit -m "x"',
      'cd repo && git add -A && git commit -m "msg"',
      'git -C /work/repo commit -am wip',
      'git -c user.name=bot commit -m x',
      'git --no-pager commit --amend --no-edit',
    ]) {
      expect(isGitCommitCall(bash(c)), c).toBe(true);
    }
    for (const c of ['git commit --dry-run -m x', 'git log --grep commit', 'git status', 'ls commit']) {
      expect(isGitCommitCall(bash(c)), c).toBe(false);
    }
    expect(isGitCommitCall({ id: 't', name: 'Read', input: { command: 'git commit -m x' } })).toBe(false);
  });

  it("reads git's [<branch> <hash>] <subject> line, including root commits and detached heads", () => {
    expect(parseGitCommitOutput('[main 1a2b3c4] Add parser\n 1 file changed')).toEqual({
      hash: '1a2b3c4',
      subject: 'Add parser',
    });
    expect(parseGitCommitOutput('[main (root-commit) 0123abcd] Initial commit')).toEqual({
      hash: '0123abcd',
      subject: 'Initial commit',
    });
    expect(parseGitCommitOutput('[detached HEAD 9f8e7d6] Fix')).toEqual({ hash: '9f8e7d6', subject: 'Fix' });
    expect(parseGitCommitOutput('nothing to commit, working tree clean')).toBeNull();
  });
});
