import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClaudeTreeManifest, writeClaudeTree } from '../src/claude-tree.js';
import { ensureClaudeTree } from '../src/tree-cache.js';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-tree-'));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

function listFiles(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((p) => p.endsWith('.jsonl'))
    .map((p) => p.split(path.sep).join('/'))
    .sort();
}

function readTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of listFiles(path.join(root, 'projects'))) {
    out.set(file, fs.readFileSync(path.join(root, 'projects', file), 'utf8'));
  }
  return out;
}

type Line = Record<string, unknown> & { message?: Record<string, unknown> };

describe('synthetic Claude Code tree', () => {
  const a = path.join(temp, 'a');
  const b = path.join(temp, 'b');
  const manifestA = writeClaudeTree(a, { sessions: 6, seed: 42 });
  const manifestB = writeClaudeTree(b, { sessions: 6, seed: 42 });
  const treeA = readTree(a);

  it('is byte-identical for the same seed', () => {
    expect(manifestB).toEqual(manifestA);
    const treeB = readTree(b);
    expect([...treeB.keys()]).toEqual([...treeA.keys()]);
    for (const [file, content] of treeA) expect(treeB.get(file), file).toBe(content);
  });

  it('differs for another seed, and a smaller tree is a prefix of a larger one', () => {
    const other = readTree(
      (() => {
        const dir = path.join(temp, 'other');
        writeClaudeTree(dir, { sessions: 6, seed: 43 });
        return dir;
      })(),
    );
    expect([...other.keys()]).not.toEqual([...treeA.keys()]);
    const small = path.join(temp, 'small');
    writeClaudeTree(small, { sessions: 3, seed: 42 });
    for (const [file, content] of readTree(small)) expect(treeA.get(file), file).toBe(content);
  });

  it('lays files out as projects/<folder>/<session>.jsonl with subagent files', () => {
    const sessions = [...treeA.keys()].filter((f) => /^[^/]+\/[0-9a-f-]{36}\.jsonl$/.test(f));
    expect(sessions).toHaveLength(6);
    for (const file of treeA.keys()) {
      expect(file).toMatch(
        /^-[A-Za-z0-9-]+\/([0-9a-f-]{36}\.jsonl|agent-[0-9a-f]+\.jsonl|[0-9a-f-]{36}\/subagents\/agent-a[0-9a-f]{16}\.jsonl)$/,
      );
    }
    expect(manifestA.files).toBe(treeA.size);
    expect(manifestA.subagent_files).toBe(treeA.size - 6);
  });

  it('writes valid compact JSON lines shaped like Claude Code output, and the manifest counts them', () => {
    const usage = new Map<string, { model: string; lines: number[]; final: Record<string, number> }>();
    let lines = 0;
    let bytes = 0;
    let userMessages = 0;
    const sessionIds = new Set(
      [...treeA.keys()]
        .filter((f) => !path.basename(f).startsWith('agent-'))
        .map((f) => path.basename(f, '.jsonl')),
    );
    for (const [file, content] of treeA) {
      bytes += Buffer.byteLength(content);
      expect(content.endsWith('\n')).toBe(true);
      const fileLines = content.slice(0, -1).split('\n');
      const sidechain = path.basename(file).startsWith('agent-');
      for (const text of fileLines) {
        lines++;
        const line = JSON.parse(text) as Line;
        expect(JSON.stringify(line)).toBe(text);
        expect(typeof line.type).toBe('string');
        if (line.type === 'user' || line.type === 'assistant') {
          expect(line.isSidechain).toBe(sidechain);
          if (sidechain) expect(typeof line.agentId).toBe('string');
          expect(line.cwd).toMatch(/^\/home\//);
          expect(line.version).toMatch(/^2\.\d+\.\d+$/);
          expect(typeof line.gitBranch).toBe('string');
          expect(new Date(String(line.timestamp)).toISOString()).toBe(line.timestamp);
          // Subagent lines carry their parent's session id; main lines their own file's.
          if (sidechain) expect(sessionIds.has(String(line.sessionId))).toBe(true);
          else expect(line.sessionId).toBe(path.basename(file, '.jsonl'));
          if (file.includes('/subagents/')) expect(file.split('/')[1]).toBe(line.sessionId);
        }
        if (line.type === 'user') userMessages++;
        if (line.type === 'assistant') {
          const message = line.message!;
          const u = message.usage as Record<string, number>;
          const key = `${String(message.id)}:${String(line.requestId)}`;
          const entry = usage.get(key) ?? { model: String(message.model), lines: [], final: u };
          entry.lines.push(u.output_tokens!);
          entry.final = u;
          usage.set(key, entry);
          expect((message.content as unknown[]).length).toBe(1);
        }
      }
    }
    // The last line of each streamed response carries the largest (final) output count.
    let streamed = 0;
    for (const { lines: outs } of usage.values()) {
      if (outs.length > 1) streamed++;
      expect(Math.max(...outs)).toBe(outs[outs.length - 1]);
    }
    expect(streamed).toBeGreaterThan(0);
    const totals = { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 };
    for (const { final } of usage.values()) {
      totals.input_tokens += final.input_tokens!;
      totals.output_tokens += final.output_tokens!;
      totals.cache_creation_tokens += final.cache_creation_input_tokens!;
      totals.cache_read_tokens += final.cache_read_input_tokens!;
    }
    const m: ClaudeTreeManifest = manifestA;
    expect(m.totals).toEqual(totals);
    expect(m.assistant_messages).toBe(usage.size);
    expect(m.user_messages).toBe(userMessages);
    expect(m.lines).toBe(lines);
    expect(m.bytes).toBe(bytes);
    expect(new Set([...usage.values()].map((u) => u.model)).size).toBeGreaterThan(1);
  });

  it('contains every line shape it promises on a modest tree', () => {
    const dir = path.join(temp, 'shapes');
    const manifest = writeClaudeTree(dir, { sessions: 80, seed: 1 });
    const seen = new Set<string>();
    const models = new Set<string>();
    let oldLayout = 0;
    let newLayout = 0;
    for (const [file, content] of readTree(dir)) {
      if (/^[^/]+\/agent-/.test(file)) oldLayout++;
      if (file.includes('/subagents/agent-')) newLayout++;
      for (const text of content.slice(0, -1).split('\n')) {
        const line = JSON.parse(text) as Line;
        const kind = String(line.type) + (line.subtype ? `/${String(line.subtype)}` : '');
        seen.add(kind);
        const message = line.message as { model?: string; content?: unknown } | undefined;
        if (line.type === 'assistant' && message?.model) models.add(message.model);
        if (line.isCompactSummary) seen.add('compact-summary');
        if (line.isMeta) seen.add('meta');
        if (line.isApiErrorMessage) seen.add('api-error');
        if (Array.isArray(message?.content)) {
          for (const block of message.content as { type?: string; content?: unknown }[]) {
            seen.add(`block:${String(block.type)}`);
            if (block.type === 'tool_result' && /^\[[^\]\s]+ [0-9a-f]{7}\] /.test(String(block.content))) {
              seen.add('git-commit-result');
            }
          }
        }
      }
    }
    for (const kind of [
      'user',
      'assistant',
      'summary',
      'file-history-snapshot',
      'progress',
      'queue-operation',
      'system/stop_hook_summary',
      'system/local_command',
      'system/compact_boundary',
      'compact-summary',
      'meta',
      'api-error',
      'block:thinking',
      'block:text',
      'block:tool_use',
      'block:tool_result',
      'git-commit-result',
    ]) {
      expect(seen, kind).toContain(kind);
    }
    expect(oldLayout).toBeGreaterThan(0);
    expect(newLayout).toBeGreaterThan(0);
    expect(models).toEqual(
      new Set([
        'claude-opus-4-6',
        'claude-opus-4-5-20251101',
        'claude-sonnet-4-6',
        'claude-sonnet-4-5-20250929',
        'claude-haiku-4-5-20251001',
        '<synthetic>',
      ]),
    );
    expect(manifest.git_commits).toBeGreaterThan(0);
    const days = (Date.parse(manifest.last_timestamp) - Date.parse(manifest.first_timestamp)) / 86_400_000;
    expect(days).toBeGreaterThan(60);
    expect(days).toBeLessThanOrEqual(91);
  });

  it('caches a tree under its generator version and seed', () => {
    const cache = path.join(temp, 'cache');
    const first = ensureClaudeTree(cache, { sessions: 2, seed: 5 });
    expect(first.generated).toBe(true);
    const again = ensureClaudeTree(cache, { sessions: 2, seed: 5 });
    expect(again.generated).toBe(false);
    expect(again.root).toBe(first.root);
    expect(again.manifest).toEqual(first.manifest);
    expect(fs.readdirSync(cache).filter((n) => n.startsWith('.staging'))).toEqual([]);
  });
});
