import { rowId } from './ids.js';
import { maxIso, minIso, RecordBatch, type TurnRecord } from './records.js';
import {
  type InvalidValue,
  isInvalid,
  MAX_CUMULATIVE_TOKENS,
  MAX_TOKENS_PER_CALL,
  type TokenUsage,
  tokenCount,
} from './usage.js';
import { addVisuals, dataUrlImage, type ImageBlock } from './visuals.js';

interface CodexTotals {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

/** Parser state of one Codex rollout carried across imports (token totals are cumulative). */
export interface CodexFileState {
  rolloutId: string | null;
  cwd: string | null;
  model: string | null;
  previousTotals: CodexTotals | null;
  segmentId: string | null;
  segmentStartedAt: string | null;
}

export type CodexLineOutcome = 'used' | 'ignored' | { malformed: string };

/**
 * Reads a `total_token_usage` or `last_token_usage` object: null when it has neither input nor output tokens,
 * `{ invalid }` when a count in it is not a whole number from 0 to `bound`.
 */
function readTotals(raw: unknown, name: string, bound: number): CodexTotals | InvalidValue | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const absent = (v: unknown) => v === undefined || v === null;
  if (absent(r.input_tokens) && absent(r.output_tokens)) return null;
  const input = tokenCount(r.input_tokens, `${name}.input_tokens`, bound);
  if (isInvalid(input)) return input;
  const cachedField = absent(r.cached_input_tokens) ? 'cache_read_input_tokens' : 'cached_input_tokens';
  const cached = tokenCount(r[cachedField], `${name}.${cachedField}`, bound);
  if (isInvalid(cached)) return cached;
  const output = tokenCount(r.output_tokens, `${name}.output_tokens`, bound);
  if (isInvalid(output)) return output;
  const reasoning = tokenCount(r.reasoning_output_tokens, `${name}.reasoning_output_tokens`, bound);
  if (isInvalid(reasoning)) return reasoning;
  return { input, cached, output, reasoning };
}

function modelOf(payload: Record<string, unknown>): string | null {
  const direct = payload.model;
  if (typeof direct === 'string' && direct) return direct;
  const info = payload.info as Record<string, unknown> | null | undefined;
  if (info && typeof info.model === 'string' && info.model) return info.model;
  return null;
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) =>
      b && typeof b === 'object' && typeof (b as { text?: unknown }).text === 'string'
        ? (b as { text: string }).text
        : '',
    )
    .filter((t) => t.length > 0)
    .join('\n');
}

/**
 * Turns the lines of one Codex CLI rollout into a session, its turns (one per user/assistant message and one per
 * token_count event) and one open segment. Token totals are cumulative: each event's usage is the difference to the
 * previous totals; input excludes cached input (counted as cache reads); reasoning is part of output.
 */
export class CodexAssembler {
  batch = new RecordBatch();
  readonly st: CodexFileState;
  private ids: { rollout: string; cwd: string | null; session: string; project: string | null } | null = null;
  /** Turns of this read made before any model was known. */
  private readonly awaitingModel: TurnRecord[] = [];

  constructor(
    private readonly fallbackRolloutId: string,
    state?: CodexFileState,
  ) {
    this.st = state ?? {
      rolloutId: null,
      cwd: null,
      model: null,
      previousTotals: null,
      segmentId: null,
      segmentStartedAt: null,
    };
  }

  takeBatch(): RecordBatch {
    const out = this.batch;
    this.batch = new RecordBatch();
    this.awaitingModel.length = 0;
    for (const [id, s] of out.sessions) this.batch.sessions.set(id, s);
    for (const [id, p] of out.projects) this.batch.projects.set(id, p);
    for (const [id, c] of out.commits) this.batch.commits.set(id, c);
    return out;
  }

  add(text: string, lineNumber: number): CodexLineOutcome {
    if (text.trim().length === 0) return 'ignored';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { malformed: 'invalid JSON' };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      return { malformed: 'not a JSON object' };
    const o = value as Record<string, unknown>;
    // Rollouts of early Codex versions start with a header object without `type`: valid, nothing to import.
    if (typeof o.type !== 'string') return 'ignored';
    const payload = (o.payload && typeof o.payload === 'object' ? o.payload : {}) as Record<string, unknown>;
    const timestamp =
      typeof o.timestamp === 'string' && !Number.isNaN(Date.parse(o.timestamp)) ? o.timestamp : null;
    switch (o.type) {
      case 'session_meta': {
        if (typeof payload.id === 'string' && payload.id && !this.st.rolloutId)
          this.st.rolloutId = payload.id;
        if (typeof payload.cwd === 'string' && payload.cwd) this.st.cwd = payload.cwd;
        return 'used';
      }
      case 'turn_context': {
        const model = modelOf(payload);
        if (model) this.modelInEffect(model);
        if (typeof payload.cwd === 'string' && payload.cwd && !this.st.cwd) this.st.cwd = payload.cwd;
        return 'used';
      }
      case 'response_item': {
        if (payload.type !== 'message' || (payload.role !== 'user' && payload.role !== 'assistant'))
          return 'ignored';
        if (!timestamp) return { malformed: 'message without a valid timestamp' };
        const turn = this.turn(lineNumber, timestamp, payload.role, messageText(payload.content), null);
        if (Array.isArray(payload.content)) {
          const images = payload.content
            .map((b) =>
              b && typeof b === 'object' && b.type === 'input_image' ? dataUrlImage(b.image_url) : null,
            )
            .filter((image): image is ImageBlock => image !== null);
          if (images.length > 0) addVisuals(this.batch, turn, images, timestamp);
        }
        return 'used';
      }
      case 'event_msg': {
        if (payload.type !== 'token_count') return 'ignored';
        const info = payload.info as Record<string, unknown> | null | undefined;
        if (!info) return 'ignored';
        if (!timestamp) return { malformed: 'token_count without a valid timestamp' };
        const total = readTotals(info.total_token_usage, 'total_token_usage', MAX_CUMULATIVE_TOKENS);
        if (isInvalid(total)) return { malformed: total.invalid };
        const last = readTotals(info.last_token_usage, 'last_token_usage', MAX_TOKENS_PER_CALL);
        if (isInvalid(last)) return { malformed: last.invalid };
        const model = modelOf(payload);
        if (model) this.modelInEffect(model);
        let delta: CodexTotals | null;
        if (total) {
          const prev = this.st.previousTotals;
          delta = prev
            ? {
                input: Math.max(0, total.input - prev.input),
                cached: Math.max(0, total.cached - prev.cached),
                output: Math.max(0, total.output - prev.output),
                reasoning: Math.max(0, total.reasoning - prev.reasoning),
              }
            : total;
          // Later events are measured from these totals, even when this event's own usage is refused below.
          this.st.previousTotals = total;
          const tooLarge = (Object.keys(delta) as (keyof CodexTotals)[]).find(
            (k) => delta![k] > MAX_TOKENS_PER_CALL,
          );
          if (tooLarge) {
            return {
              malformed: `total_token_usage grew by more than ${MAX_TOKENS_PER_CALL.toExponential()} ${tooLarge} tokens in one event`,
            };
          }
        } else {
          delta = last;
        }
        if (!delta || delta.input + delta.cached + delta.output === 0) return 'ignored';
        const cached = Math.min(delta.cached, delta.input);
        const usage: TokenUsage = {
          input: delta.input - cached,
          output: delta.output,
          cacheCreation: 0,
          cacheCreation1h: 0,
          cacheRead: cached,
          reasoning: delta.reasoning,
        };
        this.turn(lineNumber, timestamp, 'assistant', null, usage);
        return 'used';
      }
      default:
        return 'ignored';
    }
  }

  /**
   * A `turn_context` (or a token count naming its model) sets the model in effect: every later turn, prompts
   * included, is attributed to it, and so are the turns of this read that came before any model was known
   * (a rollout's opening messages precede its first `turn_context`).
   */
  private modelInEffect(model: string): void {
    this.st.model = model;
    for (const turn of this.awaitingModel) if (turn.model === null) turn.model = model;
    this.awaitingModel.length = 0;
  }

  private turn(
    lineNumber: number,
    timestamp: string,
    role: 'user' | 'assistant',
    content: string | null,
    usage: TokenUsage | null,
  ): TurnRecord {
    const rollout = this.st.rolloutId ?? this.fallbackRolloutId;
    if (this.ids?.rollout !== rollout || this.ids.cwd !== this.st.cwd) {
      this.ids = {
        rollout,
        cwd: this.st.cwd,
        session: rowId.codexSession(rollout),
        project: this.st.cwd ? rowId.project(this.st.cwd) : null,
      };
    }
    const sessionId = this.ids.session;
    const batch = this.batch;
    let projectId: string | null = null;
    if (this.st.cwd) {
      projectId = this.ids.project as string;
      batch.touchProject(this.st.cwd, projectId);
    }
    const session = batch.sessions.get(sessionId);
    if (session) {
      session.startedAt = minIso(session.startedAt, timestamp);
      session.endedAt = maxIso(session.endedAt, timestamp);
    } else {
      batch.sessions.set(sessionId, {
        id: sessionId,
        source: 'codex',
        nativeId: rollout,
        projectId,
        cwd: this.st.cwd,
        startedAt: timestamp,
        endedAt: timestamp,
      });
    }
    const id = rowId.codexTurn(rollout, lineNumber);
    if (!this.st.segmentId) {
      this.st.segmentId = rowId.commit(sessionId, id);
      this.st.segmentStartedAt = timestamp;
    }
    const segmentId = this.st.segmentId;
    const existing = batch.commits.get(segmentId);
    if (existing) existing.closedAt = maxIso(existing.closedAt, timestamp);
    else {
      batch.commits.set(segmentId, {
        id: segmentId,
        sessionId,
        projectId,
        projectName: projectId ? (batch.projects.get(projectId)?.name ?? null) : null,
        gitHash: null,
        startedAt: this.st.segmentStartedAt ?? timestamp,
        closedAt: timestamp,
        closedBy: 'session_end',
        filesRead: new Set(),
        filesChanged: new Set(),
        title: null,
        source: 'codex',
      });
    }
    const turn: TurnRecord = {
      id,
      sessionId,
      commitId: segmentId,
      role,
      content,
      timestamp,
      toolCalls: [],
      model: this.st.model,
      messageId: null,
      requestId: null,
      isSidechain: false,
      agentId: null,
      cwd: this.st.cwd,
      usage,
      costUsd: null,
      speed: null,
    };
    batch.turns.set(id, turn);
    if (turn.model === null) this.awaitingModel.push(turn);
    return turn;
  }
}
