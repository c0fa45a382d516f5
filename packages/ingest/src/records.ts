import type { ToolUse } from './claude.js';
import type { TokenUsage } from './usage.js';

export type Source = 'claude_code' | 'codex';

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

/** Rows produced from transcript lines, waiting to be written. */
export class RecordBatch {
  readonly projects = new Map<string, ProjectRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly commits = new Map<string, CommitRecord>();
  readonly turns = new Map<string, TurnRecord>();
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
  }

  touchProject(path: string, id: string): void {
    if (this.projects.has(id)) return;
    const trimmed = path.replace(/[\\/]+$/, '');
    const name = trimmed.split(/[\\/]/).pop() || trimmed;
    this.projects.set(id, { id, path, name });
  }
}

/** Orders two ISO-8601 instants; plain string order when both are UTC in the same shape (the common case). */
function compareIso(a: string, b: string): number {
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return a < b ? -1 : a > b ? 1 : 0;
  return Date.parse(a) - Date.parse(b);
}

export function minIso(a: string, b: string): string {
  return compareIso(a, b) <= 0 ? a : b;
}

export function maxIso(a: string, b: string): string {
  return compareIso(a, b) >= 0 ? a : b;
}
