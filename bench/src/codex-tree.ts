import fs from 'node:fs';
import path from 'node:path';
import { codeLines, prompt, prose, shellOutput, words } from './corpus.js';
import { base64, SeededRandom } from './random.js';

/**
 * A small deterministic set of Codex CLI rollouts: `sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl` with
 * `session_meta`, `turn_context`, `response_item` (messages, reasoning, function calls and outputs) and
 * `event_msg` lines (user/agent messages, reasoning, and `token_count` with cumulative `total_token_usage` and
 * per-call `last_token_usage`; the first `token_count` of a session sometimes has `info: null`).
 * As in real Codex data, `input_tokens` includes `cached_input_tokens` and `output_tokens` includes
 * `reasoning_output_tokens`.
 */
export const CODEX_GENERATOR_VERSION = 1;

export interface CodexTotals {
  /** Σ input_tokens − cached_input_tokens (what both tools report as input). */
  input_tokens: number;
  /** Σ cached_input_tokens. */
  cache_read_tokens: number;
  /** Σ output_tokens (reasoning included). */
  output_tokens: number;
  reasoning_tokens: number;
}

export interface CodexTreeManifest {
  generator_version: number;
  seed: number;
  sessions: number;
  bytes: number;
  lines: number;
  token_counts: number;
  totals: CodexTotals;
}

const DAY_MS = 86_400_000;
const END_MS = Date.UTC(2026, 9, 31, 22, 0, 0);
const MODELS: (readonly [string, number])[] = [
  ['gpt-5-codex', 50],
  ['gpt-5', 30],
  ['gpt-5.1-codex', 20],
];

/** Writes `sessions` rollouts under `<root>/sessions/` and returns what was written. */
export function writeCodexTree(root: string, options: { sessions: number; seed: number }): CodexTreeManifest {
  const manifest: CodexTreeManifest = {
    generator_version: CODEX_GENERATOR_VERSION,
    seed: options.seed,
    sessions: options.sessions,
    bytes: 0,
    lines: 0,
    token_counts: 0,
    totals: { input_tokens: 0, cache_read_tokens: 0, output_tokens: 0, reasoning_tokens: 0 },
  };
  for (let i = 0; i < options.sessions; i++) {
    const rng = new SeededRandom(options.seed, i, 0x636f6478);
    const lines: string[] = [];
    let clock = END_MS - 90 * DAY_MS + Math.floor(rng.next() * 89 * DAY_MS);
    const tick = (min: number, max: number) => {
      clock += rng.int(min, max);
      return new Date(clock).toISOString();
    };
    const push = (type: string, payload: Record<string, unknown>, timestamp = tick(50, 3_000)) => {
      lines.push(JSON.stringify({ timestamp, type, payload }));
    };
    const hex = rng.hex(32);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    const start = new Date(clock);
    const cwd = `/home/dev/${rng.pick(['code', 'src'])}/${rng.pick(['agentlogs', 'web-app', 'infra', 'scraper', 'compiler'])}`;
    const model = rng.weighted(MODELS);
    push('session_meta', {
      id,
      timestamp: start.toISOString(),
      cwd,
      originator: 'codex_cli_rs',
      cli_version: rng.pick(['0.58.0', '0.63.0', '0.77.0']),
      instructions: null,
      source: 'cli',
      model_provider: 'openai',
      git: { commit_hash: rng.hex(40), branch: 'main', repository_url: 'git@github.com:dev/project.git' },
    });
    push('response_item', {
      type: 'message',
      role: 'user',
      content: [
        {
          type: 'input_text',
          text: `<environment_context>\n  <cwd>${cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n  <shell>bash</shell>\n</environment_context>`,
        },
      ],
    });
    const total = {
      input_tokens: 0,
      cached_input_tokens: 0,
      output_tokens: 0,
      reasoning_output_tokens: 0,
      total_tokens: 0,
    };
    let context = rng.int(6_000, 12_000);
    let first = true;
    const tokenCount = () => {
      if (first && rng.chance(0.5)) {
        push('event_msg', { type: 'token_count', info: null, rate_limits: rateLimits(rng) });
      }
      first = false;
      const input = context + rng.int(50, 2_000);
      const cached = Math.min(input, Math.floor(context * rng.next() * 0.95));
      const reasoning = rng.int(0, 900);
      const output = reasoning + rng.int(20, 1_500);
      const last = {
        input_tokens: input,
        cached_input_tokens: cached,
        output_tokens: output,
        reasoning_output_tokens: reasoning,
        total_tokens: input + output,
      };
      total.input_tokens += input;
      total.cached_input_tokens += cached;
      total.output_tokens += output;
      total.reasoning_output_tokens += reasoning;
      total.total_tokens += input + output;
      context = input + output;
      push('event_msg', {
        type: 'token_count',
        info: { total_token_usage: { ...total }, last_token_usage: last, model_context_window: 272_000 },
        rate_limits: rateLimits(rng),
      });
      manifest.token_counts++;
      manifest.totals.input_tokens += input - cached;
      manifest.totals.cache_read_tokens += cached;
      manifest.totals.output_tokens += output;
      manifest.totals.reasoning_tokens += reasoning;
    };
    const turns = Math.max(1, Math.round(rng.logNormal(4, 0.8)));
    for (let t = 0; t < turns; t++) {
      const ask = prompt(rng);
      push(
        'turn_context',
        {
          cwd,
          approval_policy: 'on-request',
          sandbox_policy: { type: 'workspace-write', network_access: false },
          model,
          effort: rng.pick(['low', 'medium', 'high']),
          summary: 'auto',
        },
        tick(5_000, 300_000),
      );
      push('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: ask }] });
      push('event_msg', { type: 'user_message', message: ask, images: [] });
      const calls = rng.int(0, 8);
      for (let c = 0; c <= calls; c++) {
        const summary = prose(rng, rng.int(1, 3));
        push('response_item', {
          type: 'reasoning',
          summary: [{ type: 'summary_text', text: summary }],
          content: null,
          encrypted_content: base64(rng, 400 + rng.int(0, 2_000)),
        });
        push('event_msg', { type: 'agent_reasoning', text: summary });
        if (c < calls) {
          const callId = `call_${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 24)}`;
          const command = rng.pick([
            'rg -n "parseLine" src',
            'sed -n 1,160p src/store.ts',
            'pnpm test',
            'git status',
          ]);
          push('response_item', {
            type: 'function_call',
            name: 'shell',
            arguments: JSON.stringify({
              command: ['bash', '-lc', command],
              workdir: cwd,
              timeout_ms: 120_000,
            }),
            call_id: callId,
          });
          tokenCount();
          const out = command.startsWith('sed')
            ? codeLines(rng, rng.int(20, 160)).join('\n')
            : shellOutput(rng, rng.int(1, 30));
          push('response_item', {
            type: 'function_call_output',
            call_id: callId,
            output: JSON.stringify({
              output: out,
              metadata: { exit_code: 0, duration_seconds: rng.int(1, 90) / 10 },
            }),
          });
          context += Math.ceil(out.length / 4);
        } else {
          const answer = prose(rng, rng.int(2, 10));
          push('response_item', {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: answer }],
          });
          push('event_msg', { type: 'agent_message', message: answer });
          tokenCount();
        }
      }
      if (rng.chance(0.1)) push('event_msg', { type: 'agent_message', message: words(rng, 6) });
    }
    const pad = (n: number) => String(n).padStart(2, '0');
    const stamp = `${start.getUTCFullYear()}-${pad(start.getUTCMonth() + 1)}-${pad(start.getUTCDate())}T${pad(start.getUTCHours())}-${pad(start.getUTCMinutes())}-${pad(start.getUTCSeconds())}`;
    const dir = path.join(
      root,
      'sessions',
      String(start.getUTCFullYear()),
      pad(start.getUTCMonth() + 1),
      pad(start.getUTCDate()),
    );
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `rollout-${stamp}-${id}.jsonl`);
    const content = `${lines.join('\n')}\n`;
    fs.writeFileSync(file, content);
    fs.utimesSync(file, new Date(clock), new Date(clock));
    manifest.bytes += Buffer.byteLength(content);
    manifest.lines += lines.length;
  }
  return manifest;
}

function rateLimits(rng: SeededRandom): Record<string, unknown> {
  return {
    primary: { used_percent: rng.int(0, 90), window_minutes: 300, resets_in_seconds: rng.int(60, 18_000) },
    secondary: {
      used_percent: rng.int(0, 90),
      window_minutes: 10_080,
      resets_in_seconds: rng.int(3_600, 600_000),
    },
  };
}
