/**
 * The other agents' part of the ingest bench: a small synthetic tree per agent (OpenCode (`opencode.db` and
 * `storage/`), Gemini CLI, Qwen Code,
 * GitHub Copilot CLI, Amp, Antigravity CLI, Droid), written in the agent's own layout and format, then `ccusage <agent> daily --json --offline`
 * and `agentlogs import --<agent>-dir` + `stats --json` on it, alternating. Both tools' token totals are compared
 * with each other and with the generator's ground truth. The trees avoid the two readings where ccusage and
 * agentlogs differ on purpose (a Qwen prompt's cached part, Gemini's thoughts; docs/decisions/0087): those are
 * shown by the tests on committed files.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TokenTotals } from './claude-tree.js';
import { median, type ProcessRun, runMeasured } from './measure.js';
import { SeededRandom } from './random.js';

export interface AgentTreeOptions {
  sessions: number;
  seed: number;
}

export interface AgentTreeManifest {
  agent: string;
  sessions: number;
  files: number;
  bytes: number;
  responses: number;
  totals: TokenTotals;
}

interface Generator {
  /** ccusage's command, the variable both tools read, agentlogs' option. */
  command: string;
  env: string;
  flag: string;
  write(
    dir: string,
    rng: SeededRandom,
    sessions: number,
  ): Omit<AgentTreeManifest, 'agent' | 'bytes' | 'files'>;
}

const MODELS = ['gpt-4.1', 'claude-sonnet-4-5', 'gemini-2.5-pro'];
const DAY0 = Date.parse('2026-10-01T08:00:00.000Z');

function zero(): TokenTotals {
  return { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 };
}

function prose(rng: SeededRandom, words: number): string {
  const vocabulary = [
    'the',
    'build',
    'test',
    'file',
    'fails',
    'passes',
    'rename',
    'helper',
    'config',
    'lockfile',
  ];
  return Array.from({ length: words }, () => vocabulary[rng.int(0, vocabulary.length - 1)]).join(' ');
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const GENERATORS: Record<string, Generator> = {
  OpenCode: {
    command: 'opencode',
    env: 'OPENCODE_DATA_DIR',
    flag: '--opencode-dir',
    write(dir, rng, sessions) {
      // Current releases keep sessions in `opencode.db`, earlier ones in `storage/`: every other session is
      // written to each, as a machine that moved to the database keeps both.
      fs.mkdirSync(dir, { recursive: true });
      const db = new Database(path.join(dir, 'opencode.db'));
      db.exec(`
        create table message (id text primary key, session_id text not null, time_created integer not null,
          time_updated integer not null, data text not null);
        create table part (id text primary key, message_id text not null, session_id text not null,
          time_created integer not null, time_updated integer not null, data text not null);
        create index part_message_idx on part (message_id);`);
      const insertMessage = db.prepare('insert into message values (?, ?, ?, ?, ?)');
      const insertPart = db.prepare('insert into part values (?, ?, ?, ?, ?, ?)');
      const totals = zero();
      let responses = 0;
      const writeAll = db.transaction(() => {
        for (let s = 0; s < sessions; s++) {
          const session = `ses_bench${String(s).padStart(5, '0')}`;
          const inDatabase = s % 2 === 1;
          let at = DAY0 + s * 3_600_000;
          for (let m = 0; m < 20; m++) {
            const id = `msg_${session}_${String(m).padStart(3, '0')}`;
            const user = m % 2 === 0;
            at += rng.int(1000, 60_000);
            const base = { id, sessionID: session, role: user ? 'user' : 'assistant', time: { created: at } };
            let message: Record<string, unknown> = base;
            if (!user) {
              const t = {
                input: rng.int(10, 4000),
                output: rng.int(10, 900),
                reasoning: 0,
                cache: { read: rng.int(0, 90_000), write: rng.int(0, 4000) },
              };
              totals.input_tokens += t.input;
              totals.output_tokens += t.output;
              totals.cache_read_tokens += t.cache.read;
              totals.cache_creation_tokens += t.cache.write;
              responses++;
              const model = MODELS[rng.int(0, 1)]!;
              message = {
                ...base,
                modelID: model,
                providerID: model.startsWith('gpt') ? 'openai' : 'anthropic',
                path: { cwd: '/home/dev/app', root: '/home/dev/app' },
                cost: 0,
                tokens: t,
              };
            }
            const part = {
              id: `prt_${id}`,
              sessionID: session,
              messageID: id,
              type: 'text',
              text: prose(rng, 30),
            };
            if (inDatabase) {
              // The database keeps the ids in columns, the rest as JSON.
              const { id: _id, sessionID: _session, ...data } = message;
              insertMessage.run(id, session, at, at, JSON.stringify(data));
              const { id: partId, sessionID: _s, messageID: _m, ...partData } = part;
              insertPart.run(partId, id, session, at, at, JSON.stringify(partData));
            } else {
              write(
                path.join(dir, 'storage', 'message', session, `${id}.json`),
                JSON.stringify(message, null, user ? undefined : 2),
              );
              write(path.join(dir, 'storage', 'part', id, `prt_${id}.json`), JSON.stringify(part));
            }
          }
        }
      });
      try {
        writeAll();
      } finally {
        db.close();
      }
      return { sessions, responses, totals };
    },
  },
  'Gemini CLI': {
    command: 'gemini',
    env: 'GEMINI_DATA_DIR',
    flag: '--gemini-dir',
    write(dir, rng, sessions) {
      const totals = zero();
      let responses = 0;
      for (let s = 0; s < sessions; s++) {
        const sessionId = `bench-gemini-${s}`;
        let at = DAY0 + s * 3_600_000;
        const messages: unknown[] = [];
        const lines: string[] = [
          JSON.stringify({
            sessionId,
            projectHash: 'b'.repeat(64),
            startTime: new Date(at).toISOString(),
            kind: 'main',
          }),
        ];
        for (let m = 0; m < 20; m++) {
          at += rng.int(1000, 60_000);
          const timestamp = new Date(at).toISOString();
          let message: Record<string, unknown>;
          if (m % 2 === 0) message = { id: `u-${m}`, timestamp, type: 'user', content: prose(rng, 20) };
          else {
            const cached = rng.int(0, 20_000);
            const tokens = {
              input: cached + rng.int(10, 5000),
              output: rng.int(10, 900),
              cached,
              thoughts: 0,
              tool: 0,
              total: 0,
            };
            tokens.total = tokens.input + tokens.output;
            totals.input_tokens += tokens.input - cached;
            totals.output_tokens += tokens.output;
            totals.cache_read_tokens += cached;
            responses++;
            message = {
              id: `g-${m}`,
              timestamp,
              type: 'gemini',
              content: prose(rng, 40),
              tokens,
              model: 'gemini-2.5-pro',
            };
          }
          messages.push(message);
          lines.push(JSON.stringify(message));
        }
        // Half the sessions as one JSON document (before 0.40), half as JSON lines.
        const chats = path.join(dir, `hash${s % 7}`, 'chats');
        if (s % 2 === 0)
          write(
            path.join(chats, `session-${sessionId}.json`),
            JSON.stringify(
              {
                sessionId,
                projectHash: 'b'.repeat(64),
                startTime: new Date(DAY0 + s * 3_600_000).toISOString(),
                messages,
              },
              null,
              2,
            ),
          );
        else write(path.join(chats, `session-${sessionId}.jsonl`), `${lines.join('\n')}\n`);
      }
      return { sessions, responses, totals };
    },
  },
  'Qwen Code': {
    command: 'qwen',
    env: 'QWEN_DATA_DIR',
    flag: '--qwen-dir',
    write(dir, rng, sessions) {
      const totals = zero();
      let responses = 0;
      for (let s = 0; s < sessions; s++) {
        const sessionId = `bench-qwen-${s}`;
        let at = DAY0 + s * 3_600_000;
        const lines: string[] = [];
        for (let m = 0; m < 20; m++) {
          at += rng.int(1000, 60_000);
          const base = {
            uuid: `${sessionId}-${m}`,
            sessionId,
            timestamp: new Date(at).toISOString(),
            cwd: '/home/dev/app',
            version: '0.15.0',
          };
          if (m % 2 === 0)
            lines.push(
              JSON.stringify({
                ...base,
                type: 'user',
                message: { role: 'user', parts: [{ text: prose(rng, 20) }] },
              }),
            );
          else {
            const u = {
              promptTokenCount: rng.int(100, 30_000),
              candidatesTokenCount: rng.int(10, 900),
              totalTokenCount: 0,
            };
            u.totalTokenCount = u.promptTokenCount + u.candidatesTokenCount;
            totals.input_tokens += u.promptTokenCount;
            totals.output_tokens += u.candidatesTokenCount;
            responses++;
            lines.push(
              JSON.stringify({
                ...base,
                type: 'assistant',
                model: 'qwen3-coder-plus',
                usageMetadata: u,
                message: { role: 'model', parts: [{ text: prose(rng, 40) }] },
              }),
            );
          }
        }
        write(
          path.join(dir, 'projects', `project-${s % 5}`, 'chats', `${sessionId}.jsonl`),
          `${lines.join('\n')}\n`,
        );
      }
      return { sessions, responses, totals };
    },
  },
  'GitHub Copilot CLI': {
    command: 'copilot',
    env: 'COPILOT_HOME',
    flag: '--copilot-dir',
    write(dir, rng, sessions) {
      const totals = zero();
      let responses = 0;
      for (let s = 0; s < sessions; s++) {
        const sessionId = `bench-copilot-${s}`;
        let at = DAY0 + s * 3_600_000;
        const ts = () => {
          at += rng.int(1000, 60_000);
          return new Date(at).toISOString();
        };
        const lines = [
          JSON.stringify({
            type: 'session.start',
            data: { sessionId, selectedModel: 'gpt-4.1', context: { cwd: '/home/dev/app' } },
            id: `${sessionId}-e0`,
            timestamp: ts(),
          }),
        ];
        for (let m = 0; m < 10; m++) {
          lines.push(
            JSON.stringify({
              type: 'user.message',
              data: { content: prose(rng, 20) },
              id: `${sessionId}-u${m}`,
              timestamp: ts(),
            }),
          );
          lines.push(
            JSON.stringify({
              type: 'assistant.message',
              data: {
                messageId: `${sessionId}-a${m}`,
                content: prose(rng, 40),
                model: 'gpt-4.1',
                outputTokens: rng.int(10, 900),
              },
              id: `${sessionId}-a${m}`,
              timestamp: ts(),
            }),
          );
        }
        const usage = {
          inputTokens: rng.int(10_000, 200_000),
          outputTokens: rng.int(100, 9000),
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        };
        usage.cacheReadTokens = rng.int(0, usage.inputTokens);
        totals.input_tokens += usage.inputTokens - usage.cacheReadTokens;
        totals.output_tokens += usage.outputTokens;
        totals.cache_read_tokens += usage.cacheReadTokens;
        responses++;
        lines.push(
          JSON.stringify({
            type: 'session.shutdown',
            data: { modelMetrics: { 'gpt-4.1': { requests: { count: 10, cost: 1 }, usage } } },
            id: `${sessionId}-end`,
            timestamp: ts(),
          }),
        );
        write(path.join(dir, 'session-state', sessionId, 'events.jsonl'), `${lines.join('\n')}\n`);
      }
      return { sessions, responses, totals };
    },
  },
  Amp: {
    command: 'amp',
    env: 'AMP_DATA_DIR',
    flag: '--amp-dir',
    write(dir, rng, sessions) {
      const totals = zero();
      let responses = 0;
      for (let s = 0; s < sessions; s++) {
        const id = `T-bench-amp-${String(s).padStart(5, '0')}`;
        let at = DAY0 + s * 3_600_000;
        const messages: unknown[] = [];
        for (let m = 0; m < 10; m++) {
          at += rng.int(1000, 60_000);
          messages.push({
            role: 'user',
            messageId: 2 * m,
            content: [{ type: 'text', text: prose(rng, 20) }],
            meta: { sentAt: at },
          });
          at += rng.int(1000, 60_000);
          const usage = {
            model: 'claude-sonnet-4-5',
            inputTokens: rng.int(1, 500),
            outputTokens: rng.int(10, 900),
            cacheCreationInputTokens: rng.int(0, 5000),
            cacheReadInputTokens: rng.int(0, 90_000),
            timestamp: new Date(at).toISOString(),
          };
          totals.input_tokens += usage.inputTokens;
          totals.output_tokens += usage.outputTokens;
          totals.cache_creation_tokens += usage.cacheCreationInputTokens;
          totals.cache_read_tokens += usage.cacheReadInputTokens;
          responses++;
          messages.push({
            role: 'assistant',
            messageId: 2 * m + 1,
            content: [{ type: 'text', text: prose(rng, 40) }],
            state: { type: 'complete', stopReason: 'end_turn' },
            usage,
          });
        }
        const thread = {
          v: 1,
          id,
          created: DAY0 + s * 3_600_000,
          title: prose(rng, 4),
          env: { initial: { trees: [{ displayName: 'app', uri: 'file:///home/dev/app' }] } },
          messages,
        };
        write(path.join(dir, 'threads', `${id}.json`), JSON.stringify(thread));
      }
      return { sessions, responses, totals };
    },
  },
  'Antigravity CLI': {
    command: 'antigravity',
    env: 'ANTIGRAVITY_DATA_DIR',
    flag: '--antigravity-dir',
    write(dir, rng, sessions) {
      // Its transcripts record no token counts (docs/decisions/0099): the tree measures reading, totals stay 0.
      let responses = 0;
      for (let s = 0; s < sessions; s++) {
        const id = `bench-conv-${String(s).padStart(5, '0')}`;
        let at = DAY0 + s * 3_600_000;
        const ts = () => {
          at += rng.int(1000, 60_000);
          return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
        };
        const lines: string[] = [];
        let step = 0;
        for (let m = 0; m < 10; m++) {
          lines.push(
            JSON.stringify({
              step_index: step++,
              source: 'USER_EXPLICIT',
              type: 'USER_INPUT',
              status: 'DONE',
              created_at: ts(),
              content: `<USER_REQUEST>\n${prose(rng, 20)}\n</USER_REQUEST>`,
            }),
          );
          lines.push(
            JSON.stringify({
              step_index: step++,
              source: 'MODEL',
              type: 'PLANNER_RESPONSE',
              status: 'DONE',
              created_at: ts(),
              thinking: prose(rng, 10),
              tool_calls: [{ name: 'run_command', args: { CommandLine: '"ls"' } }],
            }),
          );
          lines.push(
            JSON.stringify({
              step_index: step++,
              source: 'MODEL',
              type: 'RUN_COMMAND',
              status: 'DONE',
              created_at: ts(),
              content: prose(rng, 30),
            }),
          );
          lines.push(
            JSON.stringify({
              step_index: step++,
              source: 'MODEL',
              type: 'PLANNER_RESPONSE',
              status: 'DONE',
              created_at: ts(),
              content: prose(rng, 40),
            }),
          );
          responses += 2;
        }
        write(
          path.join(dir, 'brain', id, '.system_generated', 'logs', 'transcript.jsonl'),
          `${lines.join('\n')}\n`,
        );
      }
      return { sessions, responses, totals: zero() };
    },
  },
  Droid: {
    command: 'droid',
    env: 'DROID_SESSIONS_DIR',
    flag: '--droid-dir',
    write(dir, rng, sessions) {
      // Usage is a per-session running total in a settings file, not read yet (docs/decisions/0099): totals stay 0.
      let responses = 0;
      for (let s = 0; s < sessions; s++) {
        const id = `bench-droid-${String(s).padStart(5, '0')}`;
        let at = DAY0 + s * 3_600_000;
        const ts = () => {
          at += rng.int(1000, 60_000);
          return new Date(at).toISOString();
        };
        const lines = [
          JSON.stringify({ type: 'session_start', id, title: prose(rng, 4), cwd: '/home/dev/app' }),
        ];
        for (let m = 0; m < 10; m++) {
          const text = (words: number) => [{ type: 'text', text: prose(rng, words) }];
          lines.push(
            JSON.stringify({
              type: 'message',
              id: `u${m}`,
              timestamp: ts(),
              message: { role: 'user', content: text(20) },
            }),
          );
          lines.push(
            JSON.stringify({
              type: 'message',
              id: `t${m}`,
              timestamp: ts(),
              message: {
                role: 'assistant',
                content: [{ type: 'tool_use', id: `tu${m}`, name: 'Execute', input: { command: 'ls' } }],
              },
            }),
          );
          lines.push(
            JSON.stringify({
              type: 'message',
              id: `r${m}`,
              timestamp: ts(),
              message: {
                role: 'user',
                content: [{ type: 'tool_result', tool_use_id: `tu${m}`, content: prose(rng, 30) }],
              },
            }),
          );
          lines.push(
            JSON.stringify({
              type: 'message',
              id: `a${m}`,
              timestamp: ts(),
              message: { role: 'assistant', content: text(40) },
            }),
          );
          responses += 2;
        }
        write(path.join(dir, '-home-dev-app', `${id}.jsonl`), `${lines.join('\n')}\n`);
      }
      return { sessions, responses, totals: zero() };
    },
  },
};

/** Agents whose token counts are not read from their transcripts: their trees' totals are 0 by design. */
export const AGENTS_WITHOUT_USAGE: ReadonlySet<string> = new Set(['Antigravity CLI', 'Droid']);

/** Writes one agent's synthetic tree under `dir` (deterministic for a seed). */
export function writeAgentTree(agent: string, dir: string, options: AgentTreeOptions): AgentTreeManifest {
  const generator = GENERATORS[agent];
  if (!generator) throw new Error(`no generator for ${agent}`);
  const written = generator.write(dir, new SeededRandom(options.seed, agent.length), options.sessions);
  let files = 0;
  let bytes = 0;
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const st = fs.statSync(path.join(dir, f));
    if (st.isFile()) {
      files++;
      bytes += st.size;
    }
  }
  return { agent, files, bytes, ...written };
}

export const BENCH_AGENTS = Object.keys(GENERATORS);

export interface AgentComparison {
  manifest: AgentTreeManifest;
  ccusage: { median_ms: number; median_cpu_ms: number; totals: TokenTotals };
  agentlogs:
    | {
        available: true;
        import_median_ms: number;
        import_median_cpu_ms: number;
        stats_median_ms: number;
        totals: TokenTotals;
        sessions: number;
        turns: number;
      }
    | { available: false; reason: string };
  totals_equal: boolean;
}

const KEYS = ['input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens'] as const;

/** Both tools on each agent's tree, `runs` times, alternating. */
export async function runAgentsBench(options: {
  repoRoot: string;
  scratch: string;
  sessions: number;
  seed: number;
  runs: number;
  log: (line: string) => void;
}): Promise<AgentComparison[]> {
  const ccusageBin = path.join(options.repoRoot, 'bench', 'node_modules', '.bin', 'ccusage');
  const bin = path.join(options.repoRoot, 'apps', 'cli', 'dist', 'bin.js');
  const out: AgentComparison[] = [];
  for (const agent of BENCH_AGENTS) {
    const g = GENERATORS[agent]!;
    const root = fs.mkdtempSync(path.join(options.scratch, 'agent-'));
    const dir = path.join(root, 'data');
    const manifest = writeAgentTree(agent, dir, { sessions: options.sessions, seed: options.seed });
    fs.mkdirSync(path.join(root, 'home'));
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      TZ: 'UTC',
      HOME: path.join(root, 'home'),
      ...extra,
    });
    const theirs: ProcessRun[] = [];
    const imports: ProcessRun[] = [];
    const stats: ProcessRun[] = [];
    let failure: string | undefined;
    for (let i = 0; i < Math.max(1, options.runs); i++) {
      const c = await runMeasured(ccusageBin, [g.command, 'daily', '--json', '--offline'], {
        env: env({ [g.env]: dir }),
      });
      if (c.exitCode !== 0)
        throw new Error(
          `ccusage ${g.command} failed (exit ${c.exitCode}): ${c.stderr.trim().split('\n')[0]}`,
        );
      theirs.push(c);
      const data = fs.mkdtempSync(path.join(root, 'agentlogs-'));
      const a = await runMeasured(process.execPath, [bin, 'import', g.flag, dir, '--json'], {
        env: env({ AGENTLOGS_HOME: data }),
      });
      const b =
        a.exitCode === 0
          ? await runMeasured(process.execPath, [bin, 'stats', '--json'], {
              env: env({ AGENTLOGS_HOME: data }),
            })
          : a;
      if (a.exitCode !== 0 || b.exitCode !== 0) {
        failure = (a.exitCode !== 0 ? a : b).stderr.trim().split('\n')[0] ?? 'failed';
        break;
      }
      imports.push(a);
      stats.push(b);
    }
    const t = (
      JSON.parse(theirs[0]!.stdout) as {
        totals: {
          inputTokens: number;
          outputTokens: number;
          cacheCreationTokens: number;
          cacheReadTokens: number;
        };
      }
    ).totals;
    const ccusageTotals: TokenTotals = {
      input_tokens: t.inputTokens,
      output_tokens: t.outputTokens,
      cache_creation_tokens: t.cacheCreationTokens,
      cache_read_tokens: t.cacheReadTokens,
    };
    let agentlogs: AgentComparison['agentlogs'];
    if (failure !== undefined || stats.length === 0)
      agentlogs = { available: false, reason: failure ?? 'not run' };
    else {
      const o = (
        JSON.parse(stats[0]!.stdout) as { totals: TokenTotals & { sessions: number; turns: number } }
      ).totals;
      agentlogs = {
        available: true,
        import_median_ms: median(imports.map((r) => r.wallMs)),
        import_median_cpu_ms: median(imports.map((r) => r.cpuMs)),
        stats_median_ms: median(stats.map((r) => r.wallMs)),
        totals: {
          input_tokens: o.input_tokens,
          output_tokens: o.output_tokens,
          cache_creation_tokens: o.cache_creation_tokens,
          cache_read_tokens: o.cache_read_tokens,
        },
        sessions: o.sessions,
        turns: o.turns,
      };
    }
    const equal =
      agentlogs.available &&
      KEYS.every(
        (k) =>
          agentlogs.available &&
          agentlogs.totals[k] === ccusageTotals[k] &&
          ccusageTotals[k] === manifest.totals[k],
      );
    out.push({
      manifest,
      ccusage: {
        median_ms: median(theirs.map((r) => r.wallMs)),
        median_cpu_ms: median(theirs.map((r) => r.cpuMs)),
        totals: ccusageTotals,
      },
      agentlogs,
      totals_equal: equal,
    });
    options.log(`${agent}: ${manifest.files} files, totals ${equal ? 'equal' : 'DIFFER'}`);
    fs.rmSync(root, { recursive: true, force: true });
  }
  return out;
}
