import fs from 'node:fs';
import path from 'node:path';
import { codeLines, fileName, prompt, prose, shellOutput, words } from './corpus.js';
import { base62, base64, SeededRandom } from './random.js';

/**
 * A deterministic synthetic Claude Code `projects/` tree, shaped like real Claude Code 2.0/2.1 output:
 * streamed assistant responses split over one line per content block (same `message.id` / `requestId`,
 * `output_tokens` final only on the last line), tool_use / tool_result pairs with `toolUseResult`, subagent
 * files (`<session>/subagents/agent-*.jsonl` in 2.1, `agent-*.jsonl` beside the session in 2.0) with
 * `isSidechain: true` and `agentId`, `file-history-snapshot`, `summary`, `system` and `progress` lines,
 * compaction, `git commit` tool results, API errors (`<synthetic>` messages), interruptions, slash commands,
 * several models and timestamps spread over 90 days.
 *
 * Session `i` depends only on (seed, i): a tree of N sessions is a prefix of a tree of M > N sessions.
 * Bump GENERATOR_VERSION whenever the output changes, so cached trees are regenerated.
 */
export const GENERATOR_VERSION = 2;

export interface TokenTotals {
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
}

/** What the generator wrote, counted while writing: the ground truth the bench checks both tools against. */
export interface ClaudeTreeManifest {
  generator_version: number;
  seed: number;
  sessions: number;
  files: number;
  subagent_files: number;
  bytes: number;
  lines: number;
  /** Distinct API responses (unique message.id + requestId), each possibly split over several lines. */
  assistant_messages: number;
  assistant_lines: number;
  /** User lines carrying a message (prompts, tool results, compaction summaries). */
  user_messages: number;
  /** user_messages + assistant_messages: one per transcript message once streamed lines are merged. */
  turns: number;
  git_commits: number;
  projects: number;
  first_timestamp: string;
  last_timestamp: string;
  totals: TokenTotals;
  by_model: Record<string, TokenTotals & { messages: number }>;
}

export interface GeneratedFile {
  /** Path relative to the `projects/` folder, with `/` separators. */
  relativePath: string;
  content: string;
  mtimeMs: number;
}

const DAY_MS = 86_400_000;
/** The tree's newest possible timestamp; sessions start within the 90 days before it. */
const END_MS = Date.UTC(2026, 9, 31, 22, 0, 0);
const SPAN_MS = 90 * DAY_MS;

const MAIN_MODELS: (readonly [string, number])[] = [
  ['claude-opus-4-6', 35],
  ['claude-sonnet-4-5-20250929', 30],
  ['claude-opus-4-5-20251101', 15],
  ['claude-sonnet-4-6', 10],
  ['claude-haiku-4-5-20251001', 10],
];
const SUBAGENT_MODELS: (readonly [string, number])[] = [
  ['claude-haiku-4-5-20251001', 60],
  ['claude-sonnet-4-5-20250929', 25],
  ['claude-opus-4-6', 15],
];
const VERSIONS: (readonly [string, number])[] = [
  ['2.0.76', 30],
  ['2.1.19', 20],
  ['2.1.38', 30],
  ['2.1.42', 20],
];
const BRANCHES = [
  'main',
  'main',
  'main',
  'master',
  'develop',
  'feature/stats-by-model',
  'fix/import-offset',
  '',
];
const SLUG_WORDS = [
  'idempotent',
  'sprouting',
  'ocean',
  'quiet',
  'amber',
  'falcon',
  'lucid',
  'river',
  'cobalt',
  'maple',
];

export interface Project {
  cwd: string;
  folder: string;
}

/** The projects of a tree (depends on the seed only). Folder names are lossy, as Claude Code writes them. */
export function treeProjects(seed: number): Project[] {
  const rng = new SeededRandom(seed, 0x70726f6a);
  const names = [
    'agentlogs',
    'api.gateway',
    'data_pipeline',
    'web-app',
    'infra',
    'dotfiles',
    'ml-experiments',
    'mobile',
    'docs.site',
    'billing_service',
    'cli-tools',
    'game-engine',
    'notes',
    'auth-server',
    'scraper',
    'compiler',
    'design_system',
    'analytics',
    'blog',
    'monorepo',
  ];
  const users = ['dev', 'alex', 'sam'];
  const parents = ['code', 'src', 'work', 'projects/oss'];
  const out: Project[] = [];
  for (let i = 0; i < 40; i++) {
    const name = names[i % names.length]! + (i >= names.length ? `-${i - names.length + 2}` : '');
    const cwd = `/home/${rng.pick(users)}/${rng.pick(parents)}/${name}`;
    out.push({ cwd, folder: cwd.replace(/[^a-zA-Z0-9]/g, '-') });
  }
  return out;
}

export interface FileStats {
  lines: number;
  assistantMessages: number;
  assistantLines: number;
  userMessages: number;
  gitCommits: number;
  firstMs: number;
  lastMs: number;
  byModel: Map<string, TokenTotals & { messages: number }>;
}

function emptyTotals(): TokenTotals {
  return { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 };
}

interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** Writes the lines of one transcript file (a main session or a subagent). */
class TranscriptWriter {
  readonly lines: string[] = [];
  bytes = 0;
  parentUuid: string | null = null;
  /** Tokens in the model's context (what the next call reads from or writes to the cache). */
  context: number;

  constructor(
    readonly rng: SeededRandom,
    readonly stats: FileStats,
    readonly session: SessionShape,
    public clockMs: number,
    public model: string,
    readonly agentId: string | undefined,
  ) {
    this.context = rng.int(9_000, 16_000);
  }

  private push(record: Record<string, unknown>): void {
    const line = JSON.stringify(record);
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
    this.stats.lines++;
  }

  private tick(minMs: number, maxMs: number): string {
    this.clockMs += this.rng.int(minMs, maxMs);
    if (this.clockMs < this.stats.firstMs) this.stats.firstMs = this.clockMs;
    if (this.clockMs > this.stats.lastMs) this.stats.lastMs = this.clockMs;
    return new Date(this.clockMs).toISOString();
  }

  /** The fields Claude Code puts first on every message line, in its order. */
  private envelope(): Record<string, unknown> {
    const s = this.session;
    const head: Record<string, unknown> = {
      parentUuid: this.parentUuid,
      isSidechain: this.agentId !== undefined,
      userType: 'external',
      cwd: s.cwd,
      sessionId: s.sessionId,
      version: s.version,
      gitBranch: s.gitBranch,
    };
    if (this.agentId !== undefined) head.agentId = this.agentId;
    if (s.slug && this.lines.length > 6) head.slug = s.slug;
    return head;
  }

  fileHistorySnapshot(messageId: string): void {
    const timestamp = new Date(this.clockMs).toISOString();
    this.push({
      type: 'file-history-snapshot',
      messageId,
      snapshot: { messageId, trackedFileBackups: {}, timestamp },
      isSnapshotUpdate: false,
    });
  }

  summary(): void {
    this.push({ type: 'summary', summary: words(this.rng, this.rng.int(4, 9)), leafUuid: this.rng.uuid() });
  }

  progressHook(event: string, command: string): void {
    const toolUseID = this.rng.uuid();
    const uuid = this.rng.uuid();
    this.push({
      ...this.envelope(),
      type: 'progress',
      data: { type: 'hook_progress', hookEvent: event, hookName: `${event}:startup`, command },
      parentToolUseID: toolUseID,
      toolUseID,
      timestamp: this.tick(20, 200),
      uuid,
    });
    this.parentUuid = uuid;
  }

  userPrompt(text: string): string {
    const uuid = this.rng.uuid();
    if (this.agentId === undefined && !this.session.version.startsWith('1.')) this.fileHistorySnapshot(uuid);
    const record: Record<string, unknown> = {
      ...this.envelope(),
      type: 'user',
      message: { role: 'user', content: text },
      uuid,
      timestamp: this.tick(5_000, 240_000),
    };
    if (this.agentId === undefined) {
      record.thinkingMetadata = { level: 'high', disabled: false, triggers: [] };
      record.todos = [];
      if (this.session.version !== '2.0.76') record.permissionMode = 'default';
    }
    this.push(record);
    this.parentUuid = uuid;
    this.stats.userMessages++;
    this.context += Math.ceil(text.length / 4);
    return uuid;
  }

  /**
   * One API response, written as Claude Code streams it: one line per content block, the same message id and
   * request id on each, input and cache counts repeated, output_tokens partial until the last line.
   */
  assistantResponse(blocks: Record<string, unknown>[], stopReason: 'tool_use' | 'end_turn'): string[] {
    const rng = this.rng;
    const messageId = `msg_01${base62(rng, 22)}`;
    const requestId = `req_011C${base62(rng, 20)}`;
    let chars = 0;
    for (const b of blocks) chars += JSON.stringify(b).length;
    const output = Math.max(2, Math.ceil(chars / 3.4) + rng.int(0, 40));
    const cacheHit = this.lines.length > 3 && rng.chance(0.93);
    const cacheRead = cacheHit ? this.context : rng.int(0, 1) === 0 ? 0 : rng.int(9_000, 12_000);
    const cacheCreation = cacheHit ? rng.int(20, 2_500) : Math.max(0, this.context - cacheRead);
    const input = rng.int(1, 12);
    const oneHour = this.session.version !== '2.0.76';
    const usageFor = (outputTokens: number): Record<string, unknown> => {
      const usage: Record<string, unknown> = {
        input_tokens: input,
        cache_creation_input_tokens: cacheCreation,
        cache_read_input_tokens: cacheRead,
        cache_creation: {
          ephemeral_5m_input_tokens: oneHour ? 0 : cacheCreation,
          ephemeral_1h_input_tokens: oneHour ? cacheCreation : 0,
        },
        output_tokens: outputTokens,
        service_tier: 'standard',
      };
      if (oneHour) usage.inference_geo = 'not_available';
      return usage;
    };
    const uuids: string[] = [];
    for (let i = 0; i < blocks.length; i++) {
      const last = i === blocks.length - 1;
      const partial = Math.min(output - 1, rng.int(1, 30));
      const uuid = rng.uuid();
      this.push({
        ...this.envelope(),
        message: {
          model: this.model,
          id: messageId,
          type: 'message',
          role: 'assistant',
          content: [blocks[i]],
          stop_reason: last ? stopReason : null,
          stop_sequence: null,
          usage: usageFor(last ? output : partial),
        },
        requestId,
        type: 'assistant',
        uuid,
        timestamp: this.tick(i === 0 ? 1_500 : 80, i === 0 ? 9_000 : 2_500),
      });
      this.parentUuid = uuid;
      uuids.push(uuid);
      this.stats.assistantLines++;
    }
    this.stats.assistantMessages++;
    let totals = this.stats.byModel.get(this.model);
    if (!totals) {
      totals = { ...emptyTotals(), messages: 0 };
      this.stats.byModel.set(this.model, totals);
    }
    totals.messages++;
    totals.input_tokens += input;
    totals.output_tokens += output;
    totals.cache_creation_tokens += cacheCreation;
    totals.cache_read_tokens += cacheRead;
    this.context = cacheRead + cacheCreation + input + output;
    return uuids;
  }

  toolResult(
    call: ToolCall,
    assistantUuid: string,
    content: string | Record<string, unknown>[],
    toolUseResult: unknown,
    isError: boolean,
  ): void {
    const uuid = this.rng.uuid();
    const block: Record<string, unknown> = { tool_use_id: call.id, type: 'tool_result', content };
    if (isError || this.rng.chance(0.5)) block.is_error = isError;
    const record: Record<string, unknown> = {
      ...this.envelope(),
      type: 'user',
      message: { role: 'user', content: [block] },
      uuid,
      timestamp: this.tick(100, isError ? 3_000 : 20_000),
      toolUseResult,
    };
    if (this.session.version !== '2.0.76') record.sourceToolAssistantUUID = assistantUuid;
    this.push(record);
    this.parentUuid = uuid;
    this.stats.userMessages++;
    const length = typeof content === 'string' ? content.length : JSON.stringify(content).length;
    this.context += Math.ceil(length / 4);
  }

  systemStopHook(): void {
    const uuid = this.rng.uuid();
    this.push({
      ...this.envelope(),
      type: 'system',
      subtype: 'stop_hook_summary',
      hookCount: 1,
      hookInfos: [{ command: '"$CLAUDE_PROJECT_DIR"/hooks/run_hook.sh' }],
      hookErrors: [],
      preventedContinuation: false,
      stopReason: '',
      hasOutput: false,
      level: 'suggestion',
      timestamp: this.tick(100, 600),
      uuid,
      toolUseID: this.rng.uuid(),
    });
    this.parentUuid = uuid;
  }

  /** An API error as Claude Code records it: a `<synthetic>` assistant message with zero usage, no request id. */
  apiError(): void {
    const uuid = this.rng.uuid();
    this.push({
      ...this.envelope(),
      type: 'assistant',
      uuid,
      timestamp: this.tick(2_000, 30_000),
      message: {
        id: this.rng.uuid(),
        container: null,
        model: '<synthetic>',
        role: 'assistant',
        stop_reason: 'stop_sequence',
        stop_sequence: '',
        type: 'message',
        usage: {
          input_tokens: 0,
          output_tokens: 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          server_tool_use: { web_search_requests: 0 },
          service_tier: null,
          cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
        },
        content: [
          {
            type: 'text',
            text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
          },
        ],
      },
      isApiErrorMessage: true,
    });
    this.parentUuid = uuid;
    this.stats.assistantMessages++;
    this.stats.assistantLines++;
  }

  /** The user pressed Esc: Claude Code records the interruption as a user message. */
  interruption(): void {
    const uuid = this.rng.uuid();
    this.push({
      ...this.envelope(),
      type: 'user',
      message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] },
      uuid,
      timestamp: this.tick(500, 20_000),
    });
    this.parentUuid = uuid;
    this.stats.userMessages++;
  }

  /** A slash command: the caveat meta message, the command and its output, as user lines. */
  localCommandMessages(): void {
    const texts = [
      '<local-command-caveat>Caveat: The messages below were generated by the user while running local commands. DO NOT respond to these messages or otherwise consider them in your response unless the user explicitly asks you to.</local-command-caveat>',
      '<command-name>/cost</command-name>\n            <command-message>cost</command-message>\n            <command-args></command-args>',
      '<local-command-stdout>Total cost: $1.23\nTotal duration (API): 4m 12.3s</local-command-stdout>',
    ];
    texts.forEach((text, i) => {
      const uuid = this.rng.uuid();
      const record: Record<string, unknown> = {
        ...this.envelope(),
        type: 'user',
        message: { role: 'user', content: text },
      };
      if (i === 0) record.isMeta = true;
      record.uuid = uuid;
      record.timestamp = this.tick(100, i === 0 ? 60_000 : 300);
      this.push(record);
      this.parentUuid = uuid;
      this.stats.userMessages++;
    });
  }

  systemLocalCommand(): void {
    const uuid = this.rng.uuid();
    this.push({
      ...this.envelope(),
      type: 'system',
      subtype: 'local_command',
      content:
        '<command-name>/model</command-name>\n            <command-message>model</command-message>\n            <command-args></command-args>',
      level: 'info',
      timestamp: this.tick(2_000, 60_000),
      uuid,
      isMeta: false,
    });
    this.parentUuid = uuid;
  }

  queueOperation(): void {
    this.push({
      type: 'queue-operation',
      operation: 'enqueue',
      timestamp: this.tick(100, 5_000),
      sessionId: this.session.sessionId,
      content: prompt(this.rng),
    });
  }

  /** Manual or automatic compaction: a boundary line, then the summary as a user message; the context resets. */
  compact(): void {
    const boundary = this.rng.uuid();
    this.push({
      parentUuid: null,
      logicalParentUuid: this.parentUuid,
      isSidechain: false,
      userType: 'external',
      cwd: this.session.cwd,
      sessionId: this.session.sessionId,
      version: this.session.version,
      gitBranch: this.session.gitBranch,
      type: 'system',
      subtype: 'compact_boundary',
      content: 'Conversation compacted',
      isMeta: false,
      timestamp: this.tick(1_000, 30_000),
      uuid: boundary,
      level: 'info',
      compactMetadata: { trigger: this.rng.chance(0.7) ? 'auto' : 'manual', preTokens: this.context },
    });
    this.parentUuid = boundary;
    const uuid = this.rng.uuid();
    const summaryText =
      'This session is being continued from a previous conversation that ran out of context. ' +
      `The conversation is summarized below:\n${prose(this.rng, this.rng.int(20, 60))}`;
    this.push({
      ...this.envelope(),
      type: 'user',
      message: { role: 'user', content: summaryText },
      isVisibleInTranscriptOnly: true,
      isCompactSummary: true,
      uuid,
      timestamp: this.tick(100, 2_000),
    });
    this.parentUuid = uuid;
    this.stats.userMessages++;
    this.context = this.rng.int(12_000, 20_000) + Math.ceil(summaryText.length / 4);
  }
}

interface SessionShape {
  sessionId: string;
  cwd: string;
  version: string;
  gitBranch: string;
  slug: string | undefined;
}

function thinkingBlock(rng: SeededRandom): Record<string, unknown> {
  const thinking = prose(rng, rng.int(1, 8));
  return { type: 'thinking', thinking, signature: base64(rng, 200 + Math.floor(thinking.length * 1.3)) };
}

function textBlock(rng: SeededRandom, sentences: number): Record<string, unknown> {
  return { type: 'text', text: prose(rng, sentences) };
}

/** Generates one session: the main transcript and its subagent files. */
export function generateSession(
  seed: number,
  index: number,
  projects: Project[],
): { files: GeneratedFile[]; stats: FileStats } {
  const rng = new SeededRandom(seed, index, 0x73657373);
  const project = projects[Math.min(projects.length - 1, Math.floor(projects.length * rng.next() ** 1.8))]!;
  const version = rng.weighted(VERSIONS);
  const shape: SessionShape = {
    sessionId: rng.uuid(),
    cwd: project.cwd,
    version,
    gitBranch: rng.pick(BRANCHES),
    slug:
      version === '2.0.76' && rng.chance(0.5)
        ? undefined
        : `${rng.pick(SLUG_WORDS)}-${rng.pick(SLUG_WORDS)}-${rng.pick(SLUG_WORDS)}`,
  };
  const stats: FileStats = {
    lines: 0,
    assistantMessages: 0,
    assistantLines: 0,
    userMessages: 0,
    gitCommits: 0,
    firstMs: Number.POSITIVE_INFINITY,
    lastMs: 0,
    byModel: new Map(),
  };
  // Start times: uniform over 90 days, biased to working hours.
  const day = Math.floor(rng.next() * 89);
  const hour = rng.chance(0.8) ? rng.int(8, 19) : rng.int(0, 23);
  const startMs = END_MS - SPAN_MS + day * DAY_MS + hour * 3_600_000 + rng.int(0, 3_599_999);
  const main = new TranscriptWriter(rng, stats, shape, startMs, rng.weighted(MAIN_MODELS), undefined);
  const subagents: { name: string; writer: TranscriptWriter }[] = [];
  const layout21 = version !== '2.0.76';
  // Session sizes are heavy-tailed: most are small, a few are very long.
  const targetBytes = Math.min(3_000_000, Math.max(3_000, rng.logNormal(40_000, 1.1)));
  const plansCommit = rng.chance(0.35);
  let committed = false;

  if (rng.chance(0.1)) main.summary();
  if (layout21 && rng.chance(0.6)) main.progressHook('SessionStart', 'bd prime');
  if (!layout21 && rng.chance(0.35)) {
    // Claude Code 2.0 warms up a sidechain agent at startup; its usage counts like any other.
    const agentId = rng.hex(7);
    const warm = new TranscriptWriter(
      rng,
      stats,
      shape,
      startMs - 2_000,
      'claude-haiku-4-5-20251001',
      agentId,
    );
    warm.userPrompt('Warmup');
    warm.assistantResponse([textBlock(rng, rng.int(3, 8))], 'end_turn');
    subagents.push({ name: `agent-${agentId}.jsonl`, writer: warm });
  }

  const subagentBytes = () => subagents.reduce((n, s) => n + s.writer.bytes, 0);
  while (main.bytes + subagentBytes() < targetBytes) {
    if (rng.chance(0.03)) main.systemLocalCommand();
    if (rng.chance(0.02)) main.localCommandMessages();
    if (rng.chance(0.04)) main.model = rng.weighted(MAIN_MODELS);
    if (layout21 && rng.chance(0.05)) main.queueOperation();
    main.userPrompt(prompt(rng) + (rng.chance(0.3) ? `\n\n${prose(rng, rng.int(1, 5))}` : ''));
    const steps = rng.weighted<number>([
      [1, 20],
      [2, 20],
      [3, 20],
      [4, 15],
      [6, 12],
      [9, 8],
      [14, 5],
    ]);
    for (let step = 0; step < steps; step++) {
      const last = step === steps - 1;
      const blocks: Record<string, unknown>[] = [];
      if (rng.chance(0.55)) blocks.push(thinkingBlock(rng));
      if (rng.chance(last ? 1 : 0.5)) blocks.push(textBlock(rng, last ? rng.int(2, 14) : rng.int(1, 3)));
      const calls: ToolCall[] = [];
      if (!last) {
        const count = rng.weighted<number>([
          [1, 70],
          [2, 20],
          [3, 10],
        ]);
        for (let c = 0; c < count; c++) {
          const wantCommit = plansCommit && !committed && step >= 1 && rng.chance(0.3);
          calls.push(pickTool(rng, wantCommit, subagents.length < 4 && rng.chance(0.04)));
          if (wantCommit) committed = true;
        }
        for (const call of calls)
          blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
      }
      if (rng.chance(0.01)) main.apiError();
      const uuids = main.assistantResponse(blocks, last ? 'end_turn' : 'tool_use');
      for (const call of calls) {
        const owner = uuids[blocks.findIndex((b) => b.id === call.id)] ?? uuids[uuids.length - 1]!;
        if (call.name === 'Task') {
          const agentId = layout21 ? `a${rng.hex(16)}` : rng.hex(7);
          const sub = new TranscriptWriter(
            rng,
            stats,
            shape,
            main.clockMs,
            rng.weighted(SUBAGENT_MODELS),
            agentId,
          );
          const finalText = runSubagent(sub, String(call.input.prompt));
          main.clockMs = sub.clockMs;
          subagents.push({
            name: layout21 ? `${shape.sessionId}/subagents/agent-${agentId}.jsonl` : `agent-${agentId}.jsonl`,
            writer: sub,
          });
          main.toolResult(
            call,
            owner,
            [{ type: 'text', text: finalText }],
            {
              status: 'completed',
              prompt: call.input.prompt,
              agentId,
              content: [{ type: 'text', text: finalText }],
              totalDurationMs: rng.int(5_000, 120_000),
              totalToolUseCount: rng.int(1, 12),
            },
            false,
          );
        } else {
          const result = toolResult(rng, call, shape.gitBranch || 'main');
          if (result.commit) stats.gitCommits++;
          main.toolResult(call, owner, result.content, result.toolUseResult, result.isError);
        }
      }
    }
    if (rng.chance(0.02)) main.interruption();
    if (!layout21 && rng.chance(0.5)) main.systemStopHook();
    if (main.context > 150_000 && rng.chance(0.6)) main.compact();
    if (rng.chance(0.05)) shape.cwd = `${project.cwd}/${rng.pick(['packages/core', 'apps/web', 'scripts'])}`;
  }

  const folder = project.folder;
  const files: GeneratedFile[] = [
    {
      relativePath: `${folder}/${shape.sessionId}.jsonl`,
      content: `${main.lines.join('\n')}\n`,
      mtimeMs: Math.max(main.clockMs, startMs),
    },
  ];
  for (const s of subagents) {
    files.push({
      relativePath: `${folder}/${s.name}`,
      content: `${s.writer.lines.join('\n')}\n`,
      mtimeMs: s.writer.clockMs,
    });
  }
  return { files, stats };
}

function runSubagent(sub: TranscriptWriter, task: string): string {
  const rng = sub.rng;
  sub.userPrompt(task);
  const steps = rng.int(1, 6);
  let finalText = '';
  for (let step = 0; step < steps; step++) {
    const last = step === steps - 1;
    const blocks: Record<string, unknown>[] = [];
    if (last) {
      const text = textBlock(rng, rng.int(4, 16));
      finalText = String(text.text);
      blocks.push(text);
      sub.assistantResponse(blocks, 'end_turn');
      break;
    }
    if (rng.chance(0.4)) blocks.push(textBlock(rng, 1));
    const call = pickTool(rng, false, false, ['Grep', 'Glob', 'Read', 'Read', 'Bash']);
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
    const uuids = sub.assistantResponse(blocks, 'tool_use');
    const result = toolResult(rng, call, 'main');
    sub.toolResult(call, uuids[uuids.length - 1]!, result.content, result.toolUseResult, result.isError);
  }
  return finalText;
}

const GIT_SUBJECTS = [
  'Fix off-by-one in the import cursor',
  'Add --since to stats',
  'Stream transcripts instead of reading them whole',
  'Retry pushes with exponential backoff',
  'Rename UserSession to AuthSession',
  'Document the new flags in the README',
  'Make the v7 migration idempotent',
];

function pickTool(rng: SeededRandom, commit: boolean, task: boolean, names?: string[]): ToolCall {
  const id = `toolu_01${base62(rng, 22)}`;
  if (commit) {
    const subject = rng.pick(GIT_SUBJECTS);
    const variant = rng.weighted<string>([
      ['plain', 80],
      ['dry-run', 10],
      ['heredoc', 10],
    ]);
    const command =
      variant === 'dry-run'
        ? `git commit --dry-run -m "${subject}"`
        : variant === 'heredoc'
          ? `git add -A && git commit -m "$(cat <<'EOF'\n${subject}\n\n${words(rng, 12)}\nEOF\n)"`
          : `git add -A && git commit -m "${subject}"`;
    return { id, name: 'Bash', input: { command, description: 'Commit the changes' } };
  }
  if (task) {
    return {
      id,
      name: 'Task',
      input: {
        description: words(rng, 4),
        prompt: `${prompt(rng)}\n\n${prose(rng, rng.int(2, 6))}`,
        subagent_type: rng.pick(['Explore', 'general-purpose', 'Plan']),
      },
    };
  }
  const name =
    names !== undefined
      ? rng.pick(names)
      : rng.weighted<string>([
          ['Read', 30],
          ['Bash', 25],
          ['Edit', 20],
          ['Grep', 8],
          ['Glob', 5],
          ['Write', 5],
          ['TodoWrite', 7],
        ]);
  switch (name) {
    case 'Read':
      return { id, name, input: { file_path: `/src/${fileName(rng)}` } };
    case 'Bash':
      return {
        id,
        name,
        input: {
          command: rng.pick([
            'pnpm test',
            'git status',
            'ls -la',
            'pnpm build',
            'cargo test',
            'pytest -q',
            'git diff',
          ]),
          description: words(rng, 5),
        },
      };
    case 'Edit': {
      const old = codeLines(rng, rng.int(1, 6)).join('\n');
      const next = codeLines(rng, rng.int(1, 8)).join('\n');
      return { id, name, input: { file_path: `/src/${fileName(rng)}`, old_string: old, new_string: next } };
    }
    case 'Write':
      return {
        id,
        name,
        input: { file_path: `/src/${fileName(rng)}`, content: codeLines(rng, rng.int(10, 120)).join('\n') },
      };
    case 'Grep':
      return { id, name, input: { pattern: words(rng, 1), path: '/src', output_mode: 'files_with_matches' } };
    case 'Glob':
      return { id, name, input: { pattern: '**/*.ts' } };
    default:
      return {
        id,
        name: 'TodoWrite',
        input: {
          todos: Array.from({ length: rng.int(2, 6) }, () => ({
            content: words(rng, rng.int(3, 8)),
            status: rng.pick(['pending', 'in_progress', 'completed']),
            activeForm: words(rng, 3),
          })),
        },
      };
  }
}

interface ToolOutcome {
  content: string;
  toolUseResult: unknown;
  isError: boolean;
  commit: boolean;
}

function toolResult(rng: SeededRandom, call: ToolCall, branch: string): ToolOutcome {
  const input = call.input;
  switch (call.name) {
    case 'Bash': {
      const command = String(input.command);
      if (command.includes('git commit')) {
        if (command.includes('--dry-run')) {
          const out = `On branch ${branch}\nChanges to be committed:\n\tmodified:   src/store.ts`;
          return { content: out, toolUseResult: bash(out), isError: false, commit: false };
        }
        if (rng.chance(0.1)) {
          const out = `Exit code 1\nOn branch ${branch}\nnothing to commit, working tree clean`;
          return { content: out, toolUseResult: `Error: ${out}`, isError: true, commit: false };
        }
        const subject = command.includes('<<')
          ? command.split('\n')[1]!
          : command.split('-m "')[1]!.slice(0, -1);
        const files = rng.int(1, 9);
        const out = `[${branch} ${rng.hex(7)}] ${subject}\n ${files} file${files > 1 ? 's' : ''} changed, ${rng.int(1, 400)} insertions(+), ${rng.int(0, 120)} deletions(-)`;
        return { content: out, toolUseResult: bash(out), isError: false, commit: true };
      }
      const failed = rng.chance(0.08);
      const out = shellOutput(
        rng,
        Math.min(200, Math.max(1, Math.round(rng.logNormal(failed ? 6 : 10, 0.9)))),
      );
      if (failed) {
        const text = `Exit code 1\n${out}`;
        return { content: text, toolUseResult: `Error: ${text}`, isError: true, commit: false };
      }
      return { content: out, toolUseResult: bash(out), isError: false, commit: false };
    }
    case 'Read': {
      const total = Math.min(900, Math.max(3, Math.round(rng.logNormal(35, 0.9))));
      const lines = codeLines(rng, total);
      const numbered = lines.map((l, i) => `${String(i + 1).padStart(6)}→${l}`).join('\n');
      const file = String(input.file_path);
      return {
        content: numbered,
        toolUseResult: {
          type: 'text',
          file: {
            filePath: file,
            content: lines.join('\n'),
            numLines: total,
            startLine: 1,
            totalLines: total,
          },
        },
        isError: false,
        commit: false,
      };
    }
    case 'Edit': {
      const file = String(input.file_path);
      const snippet = codeLines(rng, rng.int(4, 14));
      const content = `The file ${file} has been updated. Here's the result of running \`cat -n\` on a snippet of the edited file:\n${snippet.map((l, i) => `${String(i + 40).padStart(6)}→${l}`).join('\n')}`;
      return {
        content,
        toolUseResult: {
          filePath: file,
          oldString: input.old_string,
          newString: input.new_string,
          originalFile: codeLines(rng, Math.min(900, Math.round(rng.logNormal(45, 0.8)))).join('\n'),
          structuredPatch: [
            { oldStart: 40, oldLines: 3, newStart: 40, newLines: 4, lines: snippet.slice(0, 4) },
          ],
          userModified: false,
          replaceAll: false,
        },
        isError: false,
        commit: false,
      };
    }
    case 'Write': {
      const file = String(input.file_path);
      return {
        content: `File created successfully at: ${file}`,
        toolUseResult: {
          type: 'create',
          filePath: file,
          content: input.content,
          structuredPatch: [],
          originalFile: null,
        },
        isError: false,
        commit: false,
      };
    }
    case 'Grep':
    case 'Glob': {
      const n = rng.int(0, 30);
      const names = Array.from({ length: n }, () => `/src/${fileName(rng)}`);
      const content = n === 0 ? 'No files found' : `Found ${n} files\n${names.join('\n')}`;
      return {
        content,
        toolUseResult: { mode: 'files_with_matches', filenames: names, numFiles: n },
        isError: false,
        commit: false,
      };
    }
    default: {
      const content =
        'Todos have been modified successfully. Ensure that you continue to use the todo list to track your progress. Please proceed with the current tasks if applicable';
      return {
        content,
        toolUseResult: { oldTodos: [], newTodos: input.todos },
        isError: false,
        commit: false,
      };
    }
  }
}

function bash(stdout: string): Record<string, unknown> {
  return { stdout, stderr: '', interrupted: false, isImage: false };
}

/**
 * Writes a tree of `sessions` sessions under `<root>/projects/` and returns its manifest.
 * File mtimes are set to each file's last timestamp, as they would be on the machine that wrote them.
 */
export function writeClaudeTree(
  root: string,
  options: { sessions: number; seed: number },
): ClaudeTreeManifest {
  const projects = treeProjects(options.seed);
  const projectsDir = path.join(root, 'projects');
  const manifest: ClaudeTreeManifest = {
    generator_version: GENERATOR_VERSION,
    seed: options.seed,
    sessions: options.sessions,
    files: 0,
    subagent_files: 0,
    bytes: 0,
    lines: 0,
    assistant_messages: 0,
    assistant_lines: 0,
    user_messages: 0,
    turns: 0,
    git_commits: 0,
    projects: 0,
    first_timestamp: '',
    last_timestamp: '',
    totals: emptyTotals(),
    by_model: {},
  };
  const usedProjects = new Set<string>();
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = 0;
  const madeDirs = new Set<string>();
  for (let i = 0; i < options.sessions; i++) {
    const { files, stats } = generateSession(options.seed, i, projects);
    files.forEach((file, n) => {
      const target = path.join(projectsDir, ...file.relativePath.split('/'));
      const dir = path.dirname(target);
      if (!madeDirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      fs.writeFileSync(target, file.content);
      const when = new Date(file.mtimeMs);
      fs.utimesSync(target, when, when);
      manifest.files++;
      if (n > 0) manifest.subagent_files++;
      manifest.bytes += Buffer.byteLength(file.content);
    });
    usedProjects.add(files[0]!.relativePath.split('/')[0]!);
    manifest.lines += stats.lines;
    manifest.assistant_messages += stats.assistantMessages;
    manifest.assistant_lines += stats.assistantLines;
    manifest.user_messages += stats.userMessages;
    manifest.git_commits += stats.gitCommits;
    firstMs = Math.min(firstMs, stats.firstMs);
    lastMs = Math.max(lastMs, stats.lastMs);
    for (const [model, t] of stats.byModel) {
      const m = manifest.by_model[model] ?? { ...emptyTotals(), messages: 0 };
      manifest.by_model[model] = m;
      m.messages += t.messages;
      m.input_tokens += t.input_tokens;
      m.output_tokens += t.output_tokens;
      m.cache_creation_tokens += t.cache_creation_tokens;
      m.cache_read_tokens += t.cache_read_tokens;
      manifest.totals.input_tokens += t.input_tokens;
      manifest.totals.output_tokens += t.output_tokens;
      manifest.totals.cache_creation_tokens += t.cache_creation_tokens;
      manifest.totals.cache_read_tokens += t.cache_read_tokens;
    }
  }
  manifest.turns = manifest.user_messages + manifest.assistant_messages;
  manifest.projects = usedProjects.size;
  manifest.first_timestamp = options.sessions > 0 ? new Date(firstMs).toISOString() : '';
  manifest.last_timestamp = options.sessions > 0 ? new Date(lastMs).toISOString() : '';
  return manifest;
}
