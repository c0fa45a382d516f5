import type { StoredTurnLookup } from '@agentlogs/local-store';
import { type ClaudeMessageLine, isGitCommitCall, parseGitCommitOutput, toolFiles } from './claude.js';
import { rowId } from './ids.js';
import { type CommitRecord, maxIso, minIso, RecordBatch, type TurnRecord } from './records.js';
import { type TokenUsage, usageTotal } from './usage.js';
import { addVisuals } from './visuals.js';

/** What the assembler may ask the store about rows written by earlier runs. */
export type ClaudeResumeLookup = StoredTurnLookup;

/** Parser state carried from one import of a file to the next. */
export interface ClaudeFileState {
  /** Bash `git commit` tool calls whose result has not been seen yet: tool_use id → session row id. */
  pendingGitCalls: [string, string][];
}

function messageKey(sessionId: string, messageId: string, requestId: string | null): string {
  return `${sessionId}\u0000${messageId}\u0000${requestId ?? ''}`;
}

const RECENT_KEYS = 256;

/**
 * Turns the message lines of Claude Code transcripts into session, turn and cognitive-commit records:
 * streamed lines of one response merge into one turn (largest usage wins), sidechain lines attach to
 * the parent session, and a segment closes at a successful `git commit` tool result.
 */
export class ClaudeAssembler {
  batch = new RecordBatch();
  private readonly byMessage = new Map<string, TurnRecord>();
  /** Responses were dropped from memory: a response not found there may be in the store. */
  private evicted = false;
  private readonly open = new Map<string, CommitRecord | null>();
  private readonly pendingGitCalls: Map<string, string>;
  private readonly sessionIds = new Map<string, string>();
  private readonly projectIds = new Map<string, string>();
  /** Per session and subagent: whether the store held turns of it when this file started. */
  private readonly agentsStored = new Map<string, boolean>();

  constructor(
    private readonly fallbackSessionId: string,
    private readonly lookup: ClaudeResumeLookup | null,
    private readonly resumed: boolean,
    state?: ClaudeFileState,
    /** Responses kept in memory across batches (older ones are looked up in the store). */
    private readonly recentResponses = RECENT_KEYS,
  ) {
    this.pendingGitCalls = new Map(state?.pendingGitCalls ?? []);
  }

  state(): ClaudeFileState {
    return { pendingGitCalls: [...this.pendingGitCalls] };
  }

  /** Hands the records over for writing; keeps what later lines of the same file may still need. */
  takeBatch(): RecordBatch {
    const out = this.batch;
    this.batch = new RecordBatch();
    // Sessions and open segments stay known; turns are kept only for the most recent responses.
    for (const [id, s] of out.sessions) this.batch.sessions.set(id, s);
    for (const [id, p] of out.projects) this.batch.projects.set(id, p);
    for (const [id, c] of out.commits) if (this.open.get(c.sessionId) === c) this.batch.commits.set(id, c);
    if (this.byMessage.size > this.recentResponses) {
      const drop = this.byMessage.size - this.recentResponses;
      let i = 0;
      for (const key of this.byMessage.keys()) {
        if (i++ >= drop) break;
        this.byMessage.delete(key);
        this.evicted = true;
      }
    }
    return out;
  }

  add(line: ClaudeMessageLine, lineNumber: number): void {
    const nativeSession = line.sessionId ?? this.fallbackSessionId;
    let sessionId = this.sessionIds.get(nativeSession);
    if (sessionId === undefined) {
      sessionId = rowId.claudeSession(nativeSession);
      this.sessionIds.set(nativeSession, sessionId);
    }
    const batch = this.batch;

    let projectId: string | null = null;
    if (line.cwd) {
      projectId = this.projectIds.get(line.cwd) ?? null;
      if (projectId === null) {
        projectId = rowId.project(line.cwd);
        this.projectIds.set(line.cwd, projectId);
      }
      batch.touchProject(line.cwd, projectId);
    }
    const session = batch.sessions.get(sessionId);
    if (!session) {
      batch.sessions.set(sessionId, {
        id: sessionId,
        source: 'claude_code',
        nativeId: nativeSession,
        projectId,
        cwd: line.cwd,
        startedAt: line.timestamp,
        endedAt: line.timestamp,
      });
    } else {
      session.startedAt = minIso(session.startedAt, line.timestamp);
      session.endedAt = maxIso(session.endedAt, line.timestamp);
      if (!session.cwd && line.cwd) {
        session.cwd = line.cwd;
        session.projectId = projectId;
      }
    }

    let turn: TurnRecord | null = null;
    let key: string | null = null;
    /** A turn made from `agent_progress` lines that this subagent line replaces. */
    let replaced: TurnRecord | null = null;
    if (line.role === 'assistant' && line.messageId) {
      key = messageKey(sessionId, line.messageId, line.requestId);
      turn = this.byMessage.get(key) ?? null;
      // A subagent response can be written in two files (the subagent's own and the parent's progress
      // lines): the store is asked whether the other one was imported already.
      if (
        !turn &&
        this.lookup &&
        (this.resumed ||
          this.evicted ||
          line.fromProgress ||
          (line.isSidechain && this.agentStored(sessionId, line.agentId)))
      ) {
        const found = this.lookup.turnsByMessage(sessionId, line.messageId, line.requestId);
        if (line.isSidechain) {
          const progressId = rowId.claudeProgressTurn(nativeSession, line.messageId, line.requestId);
          const sidechain = found.filter((t) => t.isSidechain);
          turn = sidechain.find((t) => t.id !== progressId) ?? null;
          if (!turn && sidechain.length > 0) {
            if (line.fromProgress) turn = sidechain[0]!;
            else replaced = sidechain[0]!;
          }
          // A response whose subagent turn was deleted stays deleted: its progress copy makes no new row.
          if (
            !turn &&
            line.fromProgress &&
            this.lookup
              .deletedTurnIds(sessionId, line.messageId, line.requestId)
              .some((id) => id !== progressId)
          )
            return;
        } else {
          turn = found[0] ?? null;
        }
        if (turn) this.byMessage.set(key, turn);
      }
    }

    if (turn) {
      // Another line of a streamed response: one content block more, and possibly the final usage.
      // Merging is idempotent: a line seen again (a replayed copy, or a file read once more) adds nothing.
      mergeInto(turn, line.text, line.toolUses, line.usage, line.speed, line.costUSD, line.model);
      batch.turns.set(turn.id, turn);
    } else {
      // A response known only from progress lines gets an id of its own, from the response's ids (the
      // progress lines skip some of the subagent's lines, so the first one seen differs between the files).
      const id =
        line.fromProgress && line.messageId
          ? rowId.claudeProgressTurn(nativeSession, line.messageId, line.requestId)
          : rowId.claudeTurn(
              nativeSession,
              line.uuid ?? (line.messageId ? `message:${line.messageId}` : `line:${lineNumber}`),
            );
      if (batch.turns.has(id)) return; // the same line written twice
      turn = {
        id,
        sessionId,
        commitId: null,
        role: line.role,
        content: line.text.length > 0 ? line.text : null,
        timestamp: line.timestamp,
        toolCalls: line.toolUses,
        model: line.model,
        messageId: line.messageId,
        requestId: line.requestId,
        isSidechain: line.isSidechain,
        agentId: line.agentId,
        cwd: line.cwd,
        usage: line.usage,
        costUsd: line.costUSD,
        speed: line.speed,
      };
      if (replaced) {
        // The subagent's own line wins the row; the progress copy gives what it knew and is tombstoned.
        mergeInto(
          turn,
          replaced.content ?? '',
          replaced.toolCalls,
          replaced.usage,
          replaced.speed,
          replaced.costUsd,
          replaced.model,
        );
        turn.timestamp = minIso(turn.timestamp, replaced.timestamp);
        batch.supersededTurns.add(replaced.id);
      }
      batch.turns.set(id, turn);
      if (key) this.byMessage.set(key, turn);
    }

    if (line.images.length > 0) addVisuals(batch, turn, line.images, line.timestamp);
    if (line.isSidechain) return; // sidechain turns join the parent's segment after writing
    this.placeInSegment(turn, line, sessionId);
  }

  /**
   * Whether another file may already have stored this subagent's responses: asked once per subagent and file,
   * so a subagent file read before its parent (the usual order) costs no lookup per response.
   */
  private agentStored(sessionId: string, agentId: string | null): boolean {
    const key = `${sessionId}\u0000${agentId ?? ''}`;
    let stored = this.agentsStored.get(key);
    if (stored === undefined) {
      stored = this.lookup?.hasAgentTurns(sessionId, agentId) ?? false;
      this.agentsStored.set(key, stored);
    }
    return stored;
  }

  private placeInSegment(turn: TurnRecord, line: ClaudeMessageLine, sessionId: string): void {
    let segment = this.open.get(sessionId);
    if (segment === undefined) {
      segment = this.resumed && this.lookup ? this.lookup.openSegment(sessionId) : null;
      this.open.set(sessionId, segment);
    }
    const session = this.batch.sessions.get(sessionId)!;
    if (!segment) {
      segment = {
        id: rowId.commit(sessionId, turn.id),
        sessionId,
        projectId: session.projectId,
        projectName: session.cwd ? (this.batch.projects.get(session.projectId ?? '')?.name ?? null) : null,
        gitHash: null,
        startedAt: turn.timestamp,
        closedAt: turn.timestamp,
        closedBy: 'session_end',
        filesRead: new Set(),
        filesChanged: new Set(),
        title: null,
        source: 'claude_code',
      };
      this.open.set(sessionId, segment);
    }
    this.batch.commits.set(segment.id, segment);
    if (!turn.commitId) turn.commitId = segment.id;
    segment.closedAt = maxIso(segment.closedAt, line.timestamp);
    if (!segment.projectId && session.projectId) {
      segment.projectId = session.projectId;
      segment.projectName = this.batch.projects.get(session.projectId)?.name ?? null;
    }
    for (const tool of line.toolUses) {
      const files = toolFiles(tool);
      if (files.read) segment.filesRead.add(files.read);
      if (files.changed) segment.filesChanged.add(files.changed);
      if (isGitCommitCall(tool)) this.pendingGitCalls.set(tool.id, sessionId);
    }
    for (const result of line.toolResults) {
      if (this.pendingGitCalls.get(result.toolUseId) !== sessionId) continue;
      this.pendingGitCalls.delete(result.toolUseId);
      if (result.isError) continue;
      const commit = parseGitCommitOutput(result.text);
      if (!commit) continue;
      segment.closedBy = 'git_commit';
      segment.gitHash = commit.hash;
      segment.title = commit.subject;
      segment.closedAt = line.timestamp;
      this.open.set(sessionId, null);
      break;
    }
  }
}

/**
 * Merges one more copy of a response into its turn: its text and tool calls when new, and its usage when larger
 * (ties: the copy that has `speed`). Idempotent: a copy seen again adds nothing.
 */
function mergeInto(
  turn: TurnRecord,
  text: string,
  toolUses: TurnRecord['toolCalls'],
  usage: TokenUsage | null,
  speed: TurnRecord['speed'],
  costUsd: number | null,
  model: string | null,
): void {
  if (text && !turn.content?.includes(text)) {
    turn.content = turn.content ? `${turn.content}\n${text}` : text;
  }
  if (toolUses.length > 0) {
    const known = new Set(turn.toolCalls.map((c) => c.id));
    const added = toolUses.filter((c) => !known.has(c.id));
    if (added.length > 0) turn.toolCalls = [...turn.toolCalls, ...added];
  }
  if (usage) {
    const current = turn.usage;
    const better =
      !current ||
      usageTotal(usage) > usageTotal(current) ||
      (usageTotal(usage) === usageTotal(current) && speed !== null && turn.speed === null);
    if (better) {
      turn.usage = usage;
      turn.speed = speed;
      turn.costUsd = costUsd;
      if (model) turn.model = model;
    }
  }
  if (!turn.model && model) turn.model = model;
}
