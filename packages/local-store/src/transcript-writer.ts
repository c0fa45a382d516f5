import type BetterSqlite3 from 'better-sqlite3';
import type { CommitRecord, RecordBatch, Source, StoredTurnLookup, TurnRecord } from './records.js';
import { newVersionSql } from './versions.js';
import { VisualFiles, visualExtension } from './visual-files.js';

/** Counts of rows an import created or changed. */
export interface WriteCounts {
  turnsAdded: number;
  turnsUpdated: number;
  sessionsAdded: number;
  commitsAdded: number;
  projectsAdded: number;
  visualsAdded: number;
}

export function emptyCounts(): WriteCounts {
  return {
    turnsAdded: 0,
    turnsUpdated: 0,
    sessionsAdded: 0,
    commitsAdded: 0,
    projectsAdded: 0,
    visualsAdded: 0,
  };
}

interface TurnRow {
  id: string;
  session_id: string;
  commit_id: string | null;
  role: 'user' | 'assistant';
  content: string | null;
  timestamp: string;
  tool_calls: string | null;
  model: string | null;
  message_id: string | null;
  request_id: string | null;
  is_sidechain: number;
  agent_id: string | null;
  cwd: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_creation_1h_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
  speed: string | null;
}

/** Ids a writer keeps as known before it starts again (see `TranscriptWriter.known`). */
const KNOWN_IDS = 4096;

/**
 * Writes import records with raw prepared statements (hand-tuned: measured by `pnpm bench`, ingest section; the
 * import keeps one transaction per batch of files and these statements prepared once per import). Rows are upserted by their deterministic id; a row whose
 * local copy is tombstoned (`deleted_at` set) is never touched, and an existing row changes (and gets a new
 * version) only when its content differs.
 */
export class TranscriptWriter {
  private readonly upsertProject: BetterSqlite3.Statement;
  private readonly upsertSession: BetterSqlite3.Statement;
  private readonly upsertCommit: BetterSqlite3.Statement;
  private readonly upsertTurn: BetterSqlite3.Statement;
  private readonly insertTurn: BetterSqlite3.Statement;
  private readonly selectTurnByMessage: BetterSqlite3.Statement;
  private readonly tombstoneTurn: BetterSqlite3.Statement;
  private readonly selectAgentTurn: BetterSqlite3.Statement;
  private readonly selectDeletedTurns: BetterSqlite3.Statement;
  private readonly selectOpenSegment: BetterSqlite3.Statement;
  private readonly attachSidechain: BetterSqlite3.Statement;
  private readonly upsertMachine: BetterSqlite3.Statement;
  private readonly existsSession: BetterSqlite3.Statement;
  private readonly existsCommit: BetterSqlite3.Statement;
  private insertVisual: BetterSqlite3.Statement | undefined;
  /** The image files of the data folder (none for an in-memory database). */
  private readonly visualFiles: VisualFiles | null;
  /**
   * Project, session and commit ids written lately in this run (their existence is known, so no lookup is
   * needed). Started again at `KNOWN_IDS` ids: one that is not here is looked up, so it only saves lookups, and
   * held whole it grew with the tree (0.8 MB of ids on the 5× bench tree).
   */
  private readonly known = new Set<string>();
  readonly counts = emptyCounts();

  constructor(
    readonly db: BetterSqlite3.Database,
    private readonly deviceId: string,
    private readonly machineId: string,
    private readonly now: string,
  ) {
    this.visualFiles = db.memory ? null : VisualFiles.besideDatabase(db.name);
    this.upsertMachine = db.prepare(`
      insert into machines (id, name, hostname, platform, last_seen_at, version, updated_at, device_id, machine_id)
      values (@id, @name, @hostname, @platform, @now, 1, @now, @device, @id)
      on conflict(id) do update set last_seen_at = excluded.last_seen_at
      where machines.deleted_at is null and (machines.last_seen_at is null or machines.last_seen_at < @seen_before)`);
    this.upsertProject = db.prepare(`
      insert into projects (id, path, name, version, updated_at, device_id, machine_id)
      values (@id, @path, @name, 1, @now, @device, @machine)
      on conflict(id) do nothing`);
    this.upsertSession = db.prepare(`
      insert into sessions (id, source, native_id, project_id, cwd, started_at, ended_at, version, updated_at, device_id, machine_id)
      values (@id, @source, @native_id, @project_id, @cwd, @started_at, @ended_at, 1, @now, @device, @machine)
      on conflict(id) do update set
        started_at = min(sessions.started_at, excluded.started_at),
        ended_at = max(sessions.ended_at, excluded.ended_at),
        project_id = coalesce(sessions.project_id, excluded.project_id),
        cwd = coalesce(sessions.cwd, excluded.cwd),
        ${newVersionSql('sessions', 'excluded.updated_at', 'excluded.device_id')}
      where sessions.deleted_at is null and (
        excluded.started_at < sessions.started_at or excluded.ended_at > sessions.ended_at
        or (sessions.project_id is null and excluded.project_id is not null)
        or (sessions.cwd is null and excluded.cwd is not null))`);
    this.upsertCommit = db.prepare(`
      insert into cognitive_commits (id, session_id, project_id, project_name, git_hash, started_at, closed_at, closed_by,
        parallel, files_read, files_changed, published, hidden, display_order, title, source,
        version, updated_at, device_id, machine_id)
      values (@id, @session_id, @project_id, @project_name, @git_hash, @started_at, @closed_at, @closed_by,
        0, @files_read, @files_changed, 0, 0, 0, @title, @source, 1, @now, @device, @machine)
      on conflict(id) do update set
        started_at = min(cognitive_commits.started_at, excluded.started_at),
        closed_at = case when excluded.closed_by = 'git_commit' then excluded.closed_at
                         else max(cognitive_commits.closed_at, excluded.closed_at) end,
        closed_by = excluded.closed_by,
        git_hash = excluded.git_hash,
        title = coalesce(cognitive_commits.title, excluded.title),
        files_read = excluded.files_read,
        files_changed = excluded.files_changed,
        project_id = coalesce(cognitive_commits.project_id, excluded.project_id),
        project_name = coalesce(cognitive_commits.project_name, excluded.project_name),
        ${newVersionSql('cognitive_commits', 'excluded.updated_at', 'excluded.device_id')}
      where cognitive_commits.deleted_at is null and cognitive_commits.closed_by <> 'git_commit' and (
        excluded.started_at < cognitive_commits.started_at or excluded.closed_at > cognitive_commits.closed_at
        or excluded.closed_by is not cognitive_commits.closed_by or excluded.git_hash is not cognitive_commits.git_hash
        or excluded.files_read is not cognitive_commits.files_read
        or excluded.files_changed is not cognitive_commits.files_changed)`);
    this.upsertTurn = db.prepare(`
      insert into turns (id, session_id, commit_id, role, content, timestamp, tool_calls, triggers_visual, model,
        message_id, request_id, is_sidechain, agent_id, cwd, input_tokens, output_tokens, cache_creation_tokens,
        cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, speed,
        version, updated_at, device_id, machine_id)
      values (@id, @session_id, @commit_id, @role, @content, @timestamp, @tool_calls, 0, @model,
        @message_id, @request_id, @is_sidechain, @agent_id, @cwd, @input_tokens, @output_tokens, @cache_creation_tokens,
        @cache_creation_1h_tokens, @cache_read_tokens, @reasoning_tokens, @cost_usd, @speed,
        1, @now, @device, @machine)
      on conflict(id) do update set
        commit_id = coalesce(excluded.commit_id, turns.commit_id),
        content = excluded.content, tool_calls = excluded.tool_calls, model = coalesce(excluded.model, turns.model),
        input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
        cache_creation_tokens = excluded.cache_creation_tokens, cache_creation_1h_tokens = excluded.cache_creation_1h_tokens,
        cache_read_tokens = excluded.cache_read_tokens, reasoning_tokens = excluded.reasoning_tokens,
        cost_usd = excluded.cost_usd, speed = excluded.speed,
        ${newVersionSql('turns', 'excluded.updated_at', 'excluded.device_id')}
      where turns.deleted_at is null
        and (excluded.input_tokens + excluded.output_tokens + excluded.cache_creation_tokens + excluded.cache_read_tokens)
            >= (turns.input_tokens + turns.output_tokens + turns.cache_creation_tokens + turns.cache_read_tokens)
        and (turns.content is not excluded.content or turns.tool_calls is not excluded.tool_calls
          or turns.input_tokens <> excluded.input_tokens or turns.output_tokens <> excluded.output_tokens
          or turns.cache_creation_tokens <> excluded.cache_creation_tokens
          or turns.cache_read_tokens <> excluded.cache_read_tokens or turns.cost_usd is not excluded.cost_usd
          or turns.speed is not excluded.speed
          or (excluded.commit_id is not null and turns.commit_id is not excluded.commit_id))`);
    // The hot path: a new turn is one plain insert with positional parameters (an upsert with named
    // parameters costs several times more per row); only an existing id goes through the upsert above.
    this.insertTurn = db.prepare(`
      insert or ignore into turns (id, session_id, commit_id, role, content, timestamp, tool_calls, triggers_visual, model,
        message_id, request_id, is_sidechain, agent_id, cwd, input_tokens, output_tokens, cache_creation_tokens,
        cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, speed,
        version, updated_at, device_id, machine_id)
      values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`);
    this.existsSession = db.prepare('select 1 from sessions where id = ?').pluck();
    this.existsCommit = db.prepare('select 1 from cognitive_commits where id = ?').pluck();
    this.selectTurnByMessage = db.prepare(`
      select * from turns where session_id = ? and message_id = ? and request_id is ? and deleted_at is null
      order by timestamp, id`);
    this.selectAgentTurn = db
      .prepare(
        `select 1 from turns where session_id = ? and agent_id is ? and is_sidechain = 1 and deleted_at is null
         limit 1`,
      )
      .pluck();
    this.selectDeletedTurns = db
      .prepare(
        'select id from turns where session_id = ? and message_id = ? and request_id is ? and deleted_at is not null',
      )
      .pluck();
    this.tombstoneTurn = db.prepare(`
      update turns set deleted_at = @now, version = version + 1, updated_at = @now, device_id = @device
      where id = @id and deleted_at is null`);
    this.selectOpenSegment = db.prepare(`
      select * from cognitive_commits where session_id = ? and closed_by = 'session_end' and deleted_at is null
      order by started_at desc limit 1`);
    this.attachSidechain = db.prepare(`
      update turns set commit_id = (
        select c.id from cognitive_commits c
         where c.session_id = turns.session_id and c.deleted_at is null
         order by (c.started_at <= turns.timestamp) desc,
                  case when c.started_at <= turns.timestamp then c.started_at end desc, c.started_at
         limit 1)
      where session_id = ? and is_sidechain = 1 and commit_id is null and deleted_at is null`);
  }

  /** Forgets which rows this run wrote (after a file's writes were rolled back). */
  forgetWritten(): void {
    this.known.clear();
  }

  /**
   * Records this machine (new) or when it was last seen, to the hour: an import that finds nothing new then
   * writes nothing at all.
   */
  touchMachine(machine: { name: string; hostname: string; platform: string }): void {
    const seenBefore = new Date(Date.parse(this.now) - 3_600_000).toISOString();
    this.upsertMachine.run({
      id: this.machineId,
      ...machine,
      now: this.now,
      device: this.deviceId,
      seen_before: seenBefore,
    });
  }

  write(batch: RecordBatch): void {
    const env = { now: this.now, device: this.deviceId, machine: this.machineId };
    if (this.known.size >= KNOWN_IDS) this.known.clear();
    for (const p of batch.projects.values()) {
      if (this.known.has(p.id)) continue; // projects never change once written
      this.known.add(p.id);
      if (this.upsertProject.run({ ...p, ...env }).changes === 1) this.counts.projectsAdded++;
    }
    for (const s of batch.sessions.values()) {
      const params = {
        id: s.id,
        source: s.source,
        native_id: s.nativeId,
        project_id: s.projectId,
        cwd: s.cwd,
        started_at: s.startedAt,
        ended_at: s.endedAt,
        ...env,
      };
      if (this.known.has(s.id)) this.upsertSession.run(params);
      else if (this.existsSession.get(s.id) === undefined) {
        this.upsertSession.run(params);
        this.counts.sessionsAdded++;
        this.known.add(s.id);
      } else {
        this.upsertSession.run(params);
        this.known.add(s.id);
      }
    }
    for (const c of batch.commits.values()) {
      const params = {
        id: c.id,
        session_id: c.sessionId,
        project_id: c.projectId,
        project_name: c.projectName,
        git_hash: c.gitHash,
        started_at: c.startedAt,
        closed_at: c.closedAt,
        closed_by: c.closedBy,
        files_read: JSON.stringify([...c.filesRead]),
        files_changed: JSON.stringify([...c.filesChanged]),
        title: c.title,
        source: c.source,
        ...env,
      };
      if (!this.known.has(c.id) && this.existsCommit.get(c.id) === undefined) this.counts.commitsAdded++;
      this.known.add(c.id);
      this.upsertCommit.run(params);
    }
    for (const t of batch.turns.values()) {
      const u = t.usage;
      const toolCalls = t.toolCalls.length > 0 ? JSON.stringify(t.toolCalls) : null;
      const inserted = this.insertTurn.run(
        t.id,
        t.sessionId,
        t.commitId,
        t.role,
        t.content,
        t.timestamp,
        toolCalls,
        t.model,
        t.messageId,
        t.requestId,
        t.isSidechain ? 1 : 0,
        t.agentId,
        t.cwd,
        u?.input ?? 0,
        u?.output ?? 0,
        u?.cacheCreation ?? 0,
        u?.cacheCreation1h ?? 0,
        u?.cacheRead ?? 0,
        u?.reasoning ?? 0,
        t.costUsd,
        t.speed,
        this.now,
        this.deviceId,
        this.machineId,
      ).changes;
      if (inserted === 1) {
        this.counts.turnsAdded++;
        continue;
      }
      const updated = this.upsertTurn.run({
        id: t.id,
        session_id: t.sessionId,
        commit_id: t.commitId,
        role: t.role,
        content: t.content,
        timestamp: t.timestamp,
        tool_calls: toolCalls,
        model: t.model,
        message_id: t.messageId,
        request_id: t.requestId,
        is_sidechain: t.isSidechain ? 1 : 0,
        agent_id: t.agentId,
        cwd: t.cwd,
        input_tokens: u?.input ?? 0,
        output_tokens: u?.output ?? 0,
        cache_creation_tokens: u?.cacheCreation ?? 0,
        cache_creation_1h_tokens: u?.cacheCreation1h ?? 0,
        cache_read_tokens: u?.cacheRead ?? 0,
        reasoning_tokens: u?.reasoning ?? 0,
        cost_usd: t.costUsd,
        speed: t.speed,
        ...env,
      }).changes;
      if (updated === 1) this.counts.turnsUpdated++;
    }
    if (batch.visuals.size > 0) this.writeVisuals(batch);
    // Progress copies replaced by the subagent's own line of the same response (their usage moved there).
    for (const id of batch.supersededTurns) {
      if (this.tombstoneTurn.run({ id, now: this.now, device: this.deviceId }).changes === 1)
        this.counts.turnsUpdated++;
    }
  }

  /**
   * Images of the batch's turns: the file once per content hash, the row once per turn and image (a deleted
   * or purged visual is never recreated). The row takes the commit its turn is in.
   */
  private writeVisuals(batch: RecordBatch): void {
    this.insertVisual ??= this.db.prepare(`
      insert into visuals (id, commit_id, type, path, captured_at, turn_id, session_id, sha256, media_type, byte_size,
        version, updated_at, device_id, machine_id)
      values (@id, (select commit_id from turns where id = @turn_id), 'image', @path, @captured_at, @turn_id,
        @session_id, @sha256, @media_type, @byte_size, 1, @now, @device, @machine)
      on conflict(id) do nothing`);
    for (const visual of batch.visuals.values()) {
      const extension = visualExtension(visual.mediaType);
      if (!extension || !this.visualFiles) continue;
      this.visualFiles.write(visual.sha256, extension, visual.bytes);
      const added = this.insertVisual.run({
        id: visual.id,
        path: VisualFiles.relativePath(visual.sha256, extension),
        captured_at: visual.capturedAt,
        turn_id: visual.turnId,
        session_id: visual.sessionId,
        sha256: visual.sha256,
        media_type: visual.mediaType.toLowerCase(),
        byte_size: visual.bytes.length,
        now: this.now,
        device: this.deviceId,
        machine: this.machineId,
      }).changes;
      if (added === 1) this.counts.visualsAdded++;
    }
  }

  /** Sidechain (subagent) turns join the parent's segment open at their time (or its first one, if they came earlier). */
  attachSidechainTurns(sessionIds: Iterable<string>): void {
    for (const id of sessionIds) this.attachSidechain.run(id);
  }

  /** Lookups for resuming a file from its byte offset. */
  resumeLookup(): StoredTurnLookup {
    return {
      turnsByMessage: (sessionId, messageId, requestId) =>
        (this.selectTurnByMessage.all(sessionId, messageId, requestId) as TurnRow[]).map(turnFromRow),
      hasAgentTurns: (sessionId, agentId) => this.selectAgentTurn.get(sessionId, agentId) !== undefined,
      deletedTurnIds: (sessionId, messageId, requestId) =>
        this.selectDeletedTurns.all(sessionId, messageId, requestId) as string[],
      openSegment: (sessionId) => {
        const row = this.selectOpenSegment.get(sessionId) as Record<string, unknown> | undefined;
        return row ? commitFromRow(row) : null;
      },
    };
  }
}

function parseArray(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function turnFromRow(row: TurnRow): TurnRecord {
  let toolCalls: TurnRecord['toolCalls'] = [];
  if (row.tool_calls) {
    try {
      const v = JSON.parse(row.tool_calls);
      if (Array.isArray(v)) toolCalls = v;
    } catch {
      toolCalls = [];
    }
  }
  return {
    id: row.id,
    sessionId: row.session_id,
    commitId: row.commit_id,
    role: row.role,
    content: row.content,
    timestamp: row.timestamp,
    toolCalls,
    model: row.model,
    messageId: row.message_id,
    requestId: row.request_id,
    isSidechain: row.is_sidechain === 1,
    agentId: row.agent_id,
    cwd: row.cwd,
    usage: {
      input: row.input_tokens,
      output: row.output_tokens,
      cacheCreation: row.cache_creation_tokens,
      cacheCreation1h: row.cache_creation_1h_tokens,
      cacheRead: row.cache_read_tokens,
      reasoning: row.reasoning_tokens,
    },
    costUsd: row.cost_usd,
    speed: row.speed === 'fast' || row.speed === 'standard' ? row.speed : null,
  };
}

function commitFromRow(row: Record<string, unknown>): CommitRecord {
  return {
    id: row.id as string,
    sessionId: row.session_id as string,
    projectId: (row.project_id as string | null) ?? null,
    projectName: (row.project_name as string | null) ?? null,
    gitHash: (row.git_hash as string | null) ?? null,
    startedAt: row.started_at as string,
    closedAt: row.closed_at as string,
    closedBy: 'session_end',
    filesRead: new Set(parseArray(row.files_read)),
    filesChanged: new Set(parseArray(row.files_changed)),
    title: (row.title as string | null) ?? null,
    source: (row.source as Source | null) ?? 'claude_code',
  };
}
