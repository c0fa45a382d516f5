import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCodexTree } from '../src/codex-tree.js';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentlogs-bench-codex-'));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

function readTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((p) => p.endsWith('.jsonl'))
    .sort()) {
    out.set(file.split(path.sep).join('/'), fs.readFileSync(path.join(root, file), 'utf8'));
  }
  return out;
}

type Usage = Record<
  'input_tokens' | 'cached_input_tokens' | 'output_tokens' | 'reasoning_output_tokens',
  number
>;

describe('synthetic Codex rollouts', () => {
  const manifest = writeCodexTree(path.join(temp, 'a'), { sessions: 8, seed: 3 });
  const tree = readTree(path.join(temp, 'a'));

  it('is byte-identical for the same seed', () => {
    expect(writeCodexTree(path.join(temp, 'b'), { sessions: 8, seed: 3 })).toEqual(manifest);
    expect(readTree(path.join(temp, 'b'))).toEqual(tree);
  });

  it('writes sessions/YYYY/MM/DD/rollout-*.jsonl whose cumulative usage agrees with the per-call usage', () => {
    expect(tree.size).toBe(8);
    const totals = { input_tokens: 0, cache_read_tokens: 0, output_tokens: 0, reasoning_tokens: 0 };
    let lines = 0;
    for (const [file, content] of tree) {
      expect(file).toMatch(
        /^sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.jsonl$/,
      );
      const records = content
        .slice(0, -1)
        .split('\n')
        .map((text) => {
          const record = JSON.parse(text) as {
            timestamp: string;
            type: string;
            payload: Record<string, unknown>;
          };
          expect(JSON.stringify(record)).toBe(text);
          expect(new Date(record.timestamp).toISOString()).toBe(record.timestamp);
          return record;
        });
      lines += records.length;
      expect(records[0]!.type).toBe('session_meta');
      expect(file).toContain(String(records[0]!.payload.id));
      let previous: Usage = {
        input_tokens: 0,
        cached_input_tokens: 0,
        output_tokens: 0,
        reasoning_output_tokens: 0,
      };
      for (const r of records) {
        if (r.type !== 'event_msg' || r.payload.type !== 'token_count' || r.payload.info === null) continue;
        const info = r.payload.info as { total_token_usage: Usage; last_token_usage: Usage };
        for (const k of Object.keys(previous) as (keyof Usage)[]) {
          expect(info.total_token_usage[k] - previous[k]).toBe(info.last_token_usage[k]);
        }
        expect(info.last_token_usage.cached_input_tokens).toBeLessThanOrEqual(
          info.last_token_usage.input_tokens,
        );
        expect(info.last_token_usage.reasoning_output_tokens).toBeLessThanOrEqual(
          info.last_token_usage.output_tokens,
        );
        previous = info.total_token_usage;
      }
      totals.input_tokens += previous.input_tokens - previous.cached_input_tokens;
      totals.cache_read_tokens += previous.cached_input_tokens;
      totals.output_tokens += previous.output_tokens;
      totals.reasoning_tokens += previous.reasoning_output_tokens;
    }
    expect(manifest.totals).toEqual(totals);
    expect(manifest.lines).toBe(lines);
  });
});
