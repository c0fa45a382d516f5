/**
 * What the adapters of agents other than Claude Code and Codex share: turning one message of the agent's
 * transcript (session id, time, role, text, model, usage) into session, project and turn records with
 * deterministic ids (`rowId.agentSession`, `rowId.agentTurn`). An adapter parses its format and calls `addTurn`.
 */
import { RecordBatch, rowId, type Source, type TokenUsage, type ToolUse } from '@agentlogs/local-store';
import { maxIso, minIso } from '../records.js';
import { MAX_COST_USD_PER_CALL, MAX_TOKENS_PER_CALL } from '../usage.js';

export interface AgentMessage {
  /** The agent's own session id. */
  sessionId: string;
  /** The message's id within its session (stable across reads: the turn's id derives from it). */
  messageId: string;
  /** ISO-8601. */
  timestamp: string;
  role: 'user' | 'assistant';
  content: string | null;
  toolCalls?: ToolUse[];
  model: string | null;
  cwd: string | null;
  usage: TokenUsage | null;
  /** The cost the agent recorded for this response, in USD, when it did. */
  costUsd?: number | null;
}

/** A token count as agents write it: a non-negative number (fractions dropped); anything else counts 0. */
export function tokens(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return 0;
  if (value > MAX_TOKENS_PER_CALL) throw new RangeError(`token count ${value} above ${MAX_TOKENS_PER_CALL}`);
  return Math.trunc(value);
}

/** A recorded cost in USD, or null when absent, zero or not a sane number. */
export function costUsd(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return null;
  if (value > MAX_COST_USD_PER_CALL) throw new RangeError(`cost ${value} above ${MAX_COST_USD_PER_CALL}`);
  return value;
}

/** A usage with every count zero is no usage. */
export function usageOrNull(u: TokenUsage): TokenUsage | null {
  return u.input + u.output + u.cacheCreation + u.cacheRead + u.reasoning > 0 ? u : null;
}

/** An ISO-8601 time from an ISO string or epoch milliseconds, else null. */
export function isoTime(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof value === 'string' && value.length > 0) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : new Date(t).toISOString();
  }
  return null;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function obj(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Builds an agent's records into batches. */
export class AgentRecords {
  batch = new RecordBatch();

  constructor(private readonly source: Source) {}

  addTurn(m: AgentMessage): void {
    const batch = this.batch;
    const sessionId = rowId.agentSession(this.source, m.sessionId);
    const projectId = m.cwd ? rowId.project(m.cwd) : null;
    if (m.cwd && projectId) batch.touchProject(m.cwd, projectId);
    const session = batch.sessions.get(sessionId);
    if (session) {
      session.startedAt = minIso(session.startedAt, m.timestamp);
      session.endedAt = maxIso(session.endedAt, m.timestamp);
      if (session.cwd === null && m.cwd) {
        session.cwd = m.cwd;
        session.projectId = projectId;
      }
    } else {
      batch.sessions.set(sessionId, {
        id: sessionId,
        source: this.source,
        nativeId: m.sessionId,
        projectId,
        cwd: m.cwd,
        startedAt: m.timestamp,
        endedAt: m.timestamp,
      });
    }
    const id = rowId.agentTurn(this.source, m.sessionId, m.messageId);
    batch.turns.set(id, {
      id,
      sessionId,
      commitId: null,
      role: m.role,
      content: m.content,
      timestamp: m.timestamp,
      toolCalls: m.toolCalls ?? [],
      model: m.model,
      // The turn's id already makes each message count once; `message_id` is the key under which Claude Code's
      // copies of one response count once across sessions, which other agents' per-session ids are not.
      messageId: null,
      requestId: null,
      isSidechain: false,
      agentId: null,
      cwd: m.cwd,
      usage: m.usage,
      costUsd: m.costUsd ?? null,
      speed: null,
    });
  }

  takeBatch(): RecordBatch {
    const taken = this.batch;
    this.batch = new RecordBatch();
    return taken;
  }
}
