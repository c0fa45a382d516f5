import type { ToolUse } from '@agentlogs/local-store';
import { checkClaudeUsage, costUsd, isInvalid, readClaudeUsage, type TokenUsage } from './usage.js';
import type { ImageBlock } from './visuals.js';

export type { ToolUse } from '@agentlogs/local-store';

export interface ToolResult {
  toolUseId: string;
  isError: boolean;
  text: string;
}

/** One user or assistant line of a Claude Code transcript, reduced to what the store keeps. */
export interface ClaudeMessageLine {
  kind: 'message';
  role: 'user' | 'assistant';
  sessionId: string | null;
  uuid: string | null;
  timestamp: string;
  cwd: string | null;
  model: string | null;
  messageId: string | null;
  requestId: string | null;
  isSidechain: boolean;
  agentId: string | null;
  usage: TokenUsage | null;
  speed: 'fast' | 'standard' | null;
  costUSD: number | null;
  text: string;
  toolUses: ToolUse[];
  toolResults: ToolResult[];
  /** Images of the message: `image` blocks of its content and of its tool results' content. */
  images: ImageBlock[];
  /** The usage object is written with spaces (`"usage": {`), a form ccusage 20 does not read. */
  usageNotCompact: boolean;
  /**
   * A subagent's API response copied into the parent transcript by a `progress` line (`data.type:
   * "agent_progress"`): the response may be missing from the subagent's own file.
   */
  fromProgress: boolean;
}

/** A valid line that is not a message (summary, system, snapshot, progress, ...). */
export interface ClaudeOtherLine {
  kind: 'other';
  type: string;
  sessionId: string | null;
  timestamp: string | null;
  summary: string | null;
}

export interface MalformedLine {
  kind: 'malformed';
  reason: string;
}

export type ClaudeLine = ClaudeMessageLine | ClaudeOtherLine | MalformedLine;

/**
 * The deepest a tool call's `input` may nest: 512 levels. Tool inputs are a few levels deep; the stored tool calls
 * are serialised with `JSON.stringify`, which recurses and overflows the stack a few thousand levels down.
 */
export const MAX_TOOL_INPUT_DEPTH = 512;

/** Whether a parsed JSON value nests deeper than `max` levels (walked with a stack of its own, not recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children)
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const b of content) {
    if (typeof b === 'string') parts.push(b);
    else if (b && typeof b === 'object' && (b as { type?: unknown }).type === 'text') {
      const t = (b as { text?: unknown }).text;
      if (typeof t === 'string') parts.push(t);
    }
  }
  return parts.join('\n');
}

/** Parses one transcript line. Never throws. */
export function readClaudeLine(text: string): ClaudeLine | null {
  if (text.length === 0 || text.trim().length === 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'invalid JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'not a JSON object' };
  }
  const o = value as Record<string, unknown>;
  let type = typeof o.type === 'string' ? o.type : null;
  const message = o.message;
  const role =
    message && typeof message === 'object' && !Array.isArray(message)
      ? (message as { role?: unknown }).role
      : undefined;
  if (type === null) {
    // Older and hand-written transcripts omit `type` on message lines; the message role says what it is.
    if (role === 'user' || role === 'assistant') type = role;
    else return { kind: 'malformed', reason: 'missing "type"' };
  }
  const sessionId = str(o.sessionId);
  const timestamp = str(o.timestamp);
  if (type === 'progress') {
    const response = readProgressResponse(o, text);
    if (response) return response;
  }
  if (type !== 'user' && type !== 'assistant') {
    return { kind: 'other', type, sessionId, timestamp, summary: type === 'summary' ? str(o.summary) : null };
  }
  if (!message || typeof message !== 'object' || Array.isArray(message)) {
    return { kind: 'malformed', reason: `${type} line without a message object` };
  }
  if (!timestamp || Number.isNaN(Date.parse(timestamp))) {
    return { kind: 'malformed', reason: `${type} line without a valid timestamp` };
  }
  const m = message as Record<string, unknown>;
  const blocks = readBlocks(m.content);
  if (blocks === null) {
    return { kind: 'malformed', reason: `tool input nested deeper than ${MAX_TOOL_INPUT_DEPTH} levels` };
  }
  const { toolUses, toolResults, images } = blocks;
  let usage: TokenUsage | null = null;
  let speed: 'fast' | 'standard' | null = null;
  if (m.usage !== undefined) {
    const read = checkClaudeUsage(m.usage);
    if (isInvalid(read)) return { kind: 'malformed', reason: read.invalid };
    if (read) {
      usage = read.usage;
      speed = read.speed;
    }
  }
  const cost = costUsd(o.costUSD);
  if (isInvalid(cost)) return { kind: 'malformed', reason: cost.invalid };
  const resultText = toolResults.map((r) => r.text).filter((t) => t.length > 0);
  const ownText = blockText(m.content);
  return {
    kind: 'message',
    role: type,
    sessionId,
    uuid: str(o.uuid),
    timestamp,
    cwd: str(o.cwd),
    model: str(m.model),
    messageId: str(m.id),
    requestId: str(o.requestId),
    isSidechain: o.isSidechain === true,
    agentId: str(o.agentId),
    usage,
    speed,
    costUSD: cost,
    text: ownText.length > 0 ? ownText : resultText.join('\n'),
    toolUses,
    toolResults,
    images,
    usageNotCompact: usage !== null && !text.includes('"usage":{'),
    fromProgress: false,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The subagent response a Claude Code 2.1 `progress` line carries: `data.message` is the subagent's transcript
 * line (`timestamp`, `requestId`, `uuid`, and the API response with `id`, `model` and `usage` at
 * `data.message.message`), `data.agentId` the subagent. Null unless it is an assistant response with an id
 * and a readable usage and timestamp (what ccusage 20 counts too).
 */
function readProgressResponse(o: Record<string, unknown>, text: string): ClaudeMessageLine | null {
  const data = o.data;
  if (!isObject(data) || !isObject(data.message)) return null;
  const line = data.message;
  const m = line.message;
  if (!isObject(m) || (line.type !== undefined && line.type !== 'assistant')) return null;
  if (m.role !== undefined && m.role !== 'assistant') return null;
  const messageId = str(m.id);
  const read = readClaudeUsage(m.usage);
  const timestamp = str(line.timestamp) ?? str(o.timestamp);
  if (!messageId || !read || !timestamp || Number.isNaN(Date.parse(timestamp))) return null;
  const blocks = readBlocks(m.content);
  if (blocks === null) return null;
  const { toolUses } = blocks;
  return {
    kind: 'message',
    role: 'assistant',
    sessionId: str(o.sessionId),
    uuid: str(line.uuid),
    timestamp,
    cwd: str(o.cwd),
    model: str(m.model),
    messageId,
    requestId: str(line.requestId),
    isSidechain: true,
    agentId: str(data.agentId),
    usage: read.usage,
    speed: read.speed,
    costUSD: typeof line.costUSD === 'number' && Number.isFinite(line.costUSD) ? line.costUSD : null,
    text: blockText(m.content),
    toolUses,
    toolResults: [],
    images: [],
    usageNotCompact: !text.includes('"usage":{'),
    fromProgress: true,
  };
}

/** A base64 `image` block (`{type: "image", source: {type: "base64", media_type, data}}`), or null. */
function imageBlock(block: Record<string, unknown>): ImageBlock | null {
  if (block.type !== 'image' || !isObject(block.source)) return null;
  const source = block.source;
  if (source.type !== 'base64' || typeof source.data !== 'string' || source.data.length === 0) return null;
  return { mediaType: typeof source.media_type === 'string' ? source.media_type : '', data: source.data };
}

/**
 * The tool calls, tool results and images of a message's content, or null when a tool input nests deeper than
 * the bound.
 */
function readBlocks(
  content: unknown,
): { toolUses: ToolUse[]; toolResults: ToolResult[]; images: ImageBlock[] } | null {
  const toolUses: ToolUse[] = [];
  const toolResults: ToolResult[] = [];
  const images: ImageBlock[] = [];
  if (Array.isArray(content)) {
    for (const b of content) {
      if (!b || typeof b !== 'object') continue;
      const block = b as Record<string, unknown>;
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        if (nestsDeeperThan(block.input, MAX_TOOL_INPUT_DEPTH)) return null;
        toolUses.push({
          id: block.id,
          name: typeof block.name === 'string' ? block.name : '',
          input: block.input,
        });
      } else if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        toolResults.push({
          toolUseId: block.tool_use_id,
          isError: block.is_error === true,
          text: blockText(block.content),
        });
        if (Array.isArray(block.content)) {
          for (const inner of block.content) {
            const image = isObject(inner) ? imageBlock(inner) : null;
            if (image) images.push(image);
          }
        }
      } else {
        const image = imageBlock(block);
        if (image) images.push(image);
      }
    }
  }
  return { toolUses, toolResults, images };
}

const GIT_COMMIT_COMMAND = /(^|[;&|(\s])git(\s+-[cC]\s+\S+|\s+--?[\w-]+(=\S+)?)*\s+commit(\s|$)/;
const GIT_COMMIT_LINE = /^\[([^\]\n]+?) ([0-9a-f]{7,40})\] ([^\n]*)$/m;

/** Whether a Bash tool call runs `git commit` (and not a dry run). */
export function isGitCommitCall(tool: ToolUse): boolean {
  if (tool.name !== 'Bash') return false;
  const command = (tool.input as { command?: unknown } | null)?.command;
  if (typeof command !== 'string') return false;
  return GIT_COMMIT_COMMAND.test(command) && !/\s--dry-run(\s|$)/.test(command);
}

/** The hash and subject of git's `[<branch> <hash>] <subject>` line, if the text shows one. */
export function parseGitCommitOutput(text: string): { hash: string; subject: string } | null {
  const m = text.match(GIT_COMMIT_LINE);
  if (!m) return null;
  return { hash: m[2]!, subject: m[3]!.trim() };
}

/** Paths a tool call reads or changes (Read → read; Edit, Write, MultiEdit, NotebookEdit → changed). */
export function toolFiles(tool: ToolUse): { read?: string; changed?: string } {
  const input = tool.input as { file_path?: unknown; notebook_path?: unknown } | null;
  const path =
    typeof input?.file_path === 'string'
      ? input.file_path
      : typeof input?.notebook_path === 'string'
        ? input.notebook_path
        : null;
  if (!path) return {};
  if (tool.name === 'Read') return { read: path };
  if (
    tool.name === 'Edit' ||
    tool.name === 'Write' ||
    tool.name === 'MultiEdit' ||
    tool.name === 'NotebookEdit'
  ) {
    return { changed: path };
  }
  return {};
}
