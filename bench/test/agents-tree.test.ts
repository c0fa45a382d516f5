import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_CATALOG } from '@agentlogs/ingest';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENTS_WITHOUT_USAGE, BENCH_AGENTS, writeAgentTree } from '../src/agents-bench.js';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-agents-'));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

function contents(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of (fs.readdirSync(root, { recursive: true }) as string[]).sort()) {
    const p = path.join(root, f);
    if (fs.statSync(p).isFile()) out.set(f.split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
  }
  return out;
}

describe('synthetic trees of the other agents', () => {
  for (const agent of BENCH_AGENTS) {
    it(`${agent}: byte-identical for a seed, with usage in every response (where the agent records it)`, () => {
      const a = writeAgentTree(agent, path.join(temp, agent, 'a'), { sessions: 4, seed: 9 });
      const b = writeAgentTree(agent, path.join(temp, agent, 'b'), { sessions: 4, seed: 9 });
      expect(b).toEqual(a);
      expect(contents(path.join(temp, agent, 'b'))).toEqual(contents(path.join(temp, agent, 'a')));
      expect(a.sessions).toBe(4);
      expect(a.responses).toBeGreaterThanOrEqual(4);
      const c = writeAgentTree(agent, path.join(temp, agent, 'c'), { sessions: 4, seed: 10 });
      expect(contents(path.join(temp, agent, 'c'))).not.toEqual(contents(path.join(temp, agent, 'a')));
      if (AGENTS_WITHOUT_USAGE.has(agent)) {
        expect(a.totals).toEqual({
          input_tokens: 0,
          output_tokens: 0,
          cache_creation_tokens: 0,
          cache_read_tokens: 0,
        });
        return;
      }
      expect(a.totals.input_tokens).toBeGreaterThan(0);
      expect(a.totals.output_tokens).toBeGreaterThan(0);
      expect(c.totals).not.toEqual(a.totals);
    });
  }
  it('covers every agent the importer reads besides Claude Code and Codex', () => {
    const others = AGENT_CATALOG.filter((e) => e.id !== 'claude_code' && e.id !== 'codex').map(
      (e) => e.displayName,
    );
    expect([...BENCH_AGENTS].sort()).toEqual(others.sort());
  });
});
