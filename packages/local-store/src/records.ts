/**
 * The rows an import produces from transcript lines, as the transcript writer consumes them. Agent adapters
 * (`@agentlogs/ingest`) fill a `RecordBatch`; `TranscriptWriter` writes it.
 */

/** The agent a session comes from (`sessions.source`): one per adapter of `@agentlogs/ingest`. */
export type Source =
  | 'claude_code'
  | 'codex'
  | 'opencode'
  | 'gemini_cli'
  | 'qwen_code'
  | 'copilot_cli'
  | 'amp'
  | 'antigravity_cli'
  | 'droid';

/** A tool call as stored in `turns.tool_calls`. */
export interface ToolUse {
  id: string;
  name: string;
  input: unknown;
}

/** Token counts of one model response, as stored on a turn. */
export interface TokenUsage {
  input: number;
  output: number;
  /** All cache writes (5-minute + 1-hour). */
  cacheCreation: number;
  /** The 1-hour part of the cache writes. */
  cacheCreation1h: number;
  cacheRead: number;
  reasoning: number;
}

export interface ProjectRecord {
  id: string;
  path: string;
  name: string;
}

export interface SessionRecord {
  id: string;
  source: Source;
  nativeId: string;
  projectId: string | null;
  cwd: string | null;
  startedAt: string;
  endedAt: string;
}

export interface CommitRecord {
  id: string;
  sessionId: string;
  projectId: string | null;
  projectName: string | null;
  gitHash: string | null;
  startedAt: string;
  closedAt: string;
  closedBy: 'git_commit' | 'session_end';
  filesRead: Set<string>;
  filesChanged: Set<string>;
  title: string | null;
  source: Source;
}

export interface TurnRecord {
  id: string;
  sessionId: string;
  commitId: string | null;
  role: 'user' | 'assistant';
  content: string | null;
  timestamp: string;
  toolCalls: ToolUse[];
  model: string | null;
  messageId: string | null;
  requestId: string | null;
  isSidechain: boolean;
  agentId: string | null;
  cwd: string | null;
  usage: TokenUsage | null;
  costUsd: number | null;
  speed: 'fast' | 'standard' | null;
}

/** An image of a transcript turn (a base64 `image` block of a prompt or a tool result). */
export interface VisualRecord {
  /** `rowId.visual(turn id, sha256)`. */
  id: string;
  turnId: string;
  sessionId: string;
  sha256: string;
  mediaType: string;
  /** The image bytes (decoded from base64); written once to the data folder by their hash. */
  bytes: Buffer;
  capturedAt: string;
}

/** Rows produced from transcript lines, waiting to be written. */
export class RecordBatch {
  readonly projects = new Map<string, ProjectRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly commits = new Map<string, CommitRecord>();
  readonly turns = new Map<string, TurnRecord>();
  readonly visuals = new Map<string, VisualRecord>();
  /**
   * Turns made from `agent_progress` lines that a subagent file's line of the same response replaces: they are
   * tombstoned when the batch is written (docs/decisions/0021-equality-with-ccusage.md).
   */
  readonly supersededTurns = new Set<string>();

  get size(): number {
    return this.turns.size;
  }

  clearTurns(): void {
    this.turns.clear();
    this.visuals.clear();
  }

  touchProject(path: string, id: string): void {
    if (this.projects.has(id)) return;
    const trimmed = path.replace(/[\\/]+$/, '');
    const name = trimmed.split(/[\\/]/).pop() || trimmed;
    this.projects.set(id, { id, path, name });
  }
}

/**
 * What resuming a transcript from its byte offset looks up among the turns already stored (the Claude Code
 * adapter merges a response's later lines into the turn its earlier lines made).
 */
export interface StoredTurnLookup {
  /** The live turns holding a line of this response (same session, message id and request id), oldest first. */
  turnsByMessage(sessionId: string, messageId: string, requestId: string | null): TurnRecord[];
  /** Whether the session has live sidechain turns of this subagent (from its file or from progress lines). */
  hasAgentTurns(sessionId: string, agentId: string | null): boolean;
  /** The tombstoned turns of this response (same session, message id and request id). */
  deletedTurnIds(sessionId: string, messageId: string, requestId: string | null): string[];
  /** The session's trailing segment, still open (`closed_by = session_end`). */
  openSegment(sessionId: string): CommitRecord | null;
}
