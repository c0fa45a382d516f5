/**
 * Folding rows of an earlier release into the importer's rows when their transcript is imported again
 * (docs/decisions/0014-adopting-legacy-databases.md).
 *
 * Earlier releases keyed a session by its file name and stored one turn per transcript line (the line's uuid as
 * id); the importer keys a session by the session id inside the file and stores one turn per message. After the
 * importer wrote a file's rows, `fold` moves what the earlier release stored for that file onto them:
 *
 * - each legacy turn whose line is in the file goes into the importer's turn of the same message (the line's own
 *   turn for a user line); its uuid is recorded in `legacy_ids` and the legacy row is removed;
 * - each legacy commit goes into the importer's commit that most of its turns landed in, which takes its title and
 *   curation (hidden, published, order, …); its id is recorded and the legacy row removed;
 * - the legacy session, once nothing points at it, is recorded (file name → session) and removed.
 *
 * Rows the server never acknowledged are deleted; acknowledged ones become tombstones so other machines follow.
 * Legacy rows whose lines are not in the file (or whose file is never imported) stay as they are.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { rowId } from './ids.js';

/** What the importer read of one transcript line. */
export interface LegacyLine {
  /** The session id inside the file (or the importer's fallback for the file). */
  sessionId: string;
  messageId: string | null;
  requestId: string | null;
}

export interface FoldCounts {
  turns: number;
  commits: number;
  sessions: number;
}

/** Commit columns that carry what a person curated in an earlier release; copied when a commit is folded. */
const CURATED_TEXT = [
  'title',
  'public_slug',
  'published_at',
  'sentiment_label',
  'cloud_id',
  'last_synced_at',
];
const CURATED_NUMBERS = [
  'hidden',
  'published',
  'display_order',
  'prompt_count',
  'rejection_count',
  'approval_count',
];

export class LegacyFolder {
  /** Whether the database holds any legacy session at all (checked once: most never do). */
  readonly active: boolean;
  private readonly selectSession: BetterSqlite3.Statement;
  private readonly selectFolded: BetterSqlite3.Statement;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly now: string,
  ) {
    this.active =
      db
        .prepare('select 1 from sessions where legacy_id is not null and deleted_at is null limit 1')
        .get() !== undefined;
    this.selectSession = db.prepare(
      'select * from sessions where id = ? and legacy_id = ? and deleted_at is null',
    );
    this.selectFolded = db.prepare(
      "select 1 from legacy_ids where table_name = 'sessions' and legacy_id = ?",
    );
  }

  /** True when an earlier release stored a session for a Claude Code file of this name that is not folded yet. */
  pending(fileName: string): boolean {
    if (!this.active) return false;
    if (this.selectFolded.get(fileName) !== undefined) return false;
    return this.selectSession.get(rowId.claudeSession(fileName), fileName) !== undefined;
  }

  /** Folds the legacy rows of the file `fileName` (without `.jsonl`) given its lines by uuid. */
  fold(fileName: string, lines: ReadonlyMap<string, LegacyLine>): FoldCounts {
    const counts: FoldCounts = { turns: 0, commits: 0, sessions: 0 };
    const db = this.db;
    const legacySessionId = rowId.claudeSession(fileName);
    const legacySession = this.selectSession.get(legacySessionId, fileName) as
      | { id: string; commit_id: string | null; synced_version: number }
      | undefined;
    if (!legacySession || this.selectFolded.get(fileName) !== undefined) return counts;

    // The file's main session: the one most of its lines belong to.
    const perSession = new Map<string, number>();
    for (const line of lines.values())
      perSession.set(line.sessionId, (perSession.get(line.sessionId) ?? 0) + 1);
    const mainNative = [...perSession].sort((a, b) => b[1] - a[1])[0]?.[0];
    const mainSession = mainNative === undefined ? undefined : rowId.claudeSession(mainNative);
    if (mainSession === undefined || !db.prepare('select 1 from sessions where id = ?').get(mainSession))
      return counts;

    const record = db.prepare(
      'insert or ignore into legacy_ids (table_name, legacy_id, id, folded_at) values (?, ?, ?, ?)',
    );
    const byMessage = db.prepare(`select id, commit_id from turns where session_id = ? and message_id = ?
      and request_id is ? and deleted_at is null order by timestamp limit 1`);
    const byId = db.prepare('select id, commit_id from turns where id = ? and deleted_at is null');
    const absorbTurn = db.prepare(`update turns set legacy_id = coalesce(legacy_id, @legacy),
      triggers_visual = max(coalesce(triggers_visual, 0), coalesce(@visual, 0)),
      version = version + 1, updated_at = @now where id = @id`);

    // Turns.
    const legacyTurns = db
      .prepare(`select id, legacy_id, commit_id, triggers_visual, synced_version from turns
        where session_id = ? and legacy_id is not null and deleted_at is null order by timestamp, id`)
      .all(legacySessionId) as {
      id: string;
      legacy_id: string;
      commit_id: string | null;
      triggers_visual: number | null;
      synced_version: number;
    }[];
    /** Legacy commit → the importer's commits its turns went to, with how many. */
    const votes = new Map<string, Map<string, number>>();
    for (const legacy of legacyTurns) {
      const line = lines.get(legacy.legacy_id);
      if (!line) continue;
      const session = rowId.claudeSession(line.sessionId);
      const target = (
        line.messageId !== null
          ? byMessage.get(session, line.messageId, line.requestId)
          : byId.get(rowId.claudeTurn(line.sessionId, legacy.legacy_id))
      ) as { id: string; commit_id: string | null } | undefined;
      if (!target) continue;
      if (legacy.commit_id !== null && target.commit_id !== null && target.commit_id !== legacy.commit_id) {
        const v = votes.get(legacy.commit_id) ?? new Map<string, number>();
        v.set(target.commit_id, (v.get(target.commit_id) ?? 0) + 1);
        votes.set(legacy.commit_id, v);
      }
      if (target.id === legacy.id) {
        record.run('turns', legacy.legacy_id, legacy.id, this.now);
        continue;
      }
      absorbTurn.run({
        id: target.id,
        legacy: legacy.legacy_id,
        visual: legacy.triggers_visual,
        now: this.now,
      });
      record.run('turns', legacy.legacy_id, target.id, this.now);
      this.remove('turns', legacy.id, legacy.synced_version);
      counts.turns++;
    }

    // Commits.
    const legacyCommits = db
      .prepare(`select * from cognitive_commits where session_id = ? and legacy_id is not null and deleted_at is null
        order by closed_at`)
      .all(legacySessionId) as Record<string, unknown>[];
    const columns = new Set(
      (
        db.prepare('select name from pragma_table_info(?)').all('cognitive_commits') as { name: string }[]
      ).map((r) => r.name),
    );
    for (const commit of legacyCommits) {
      const id = commit.id as string;
      const ranked = [...(votes.get(id) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]);
      const target = ranked[0]?.[0];
      if (target === undefined || target === id) {
        // No turn of it was folded elsewhere: it stays, in the session its turns went to.
        if (legacySessionId !== mainSession)
          db.prepare('update cognitive_commits set session_id = ?, version = version + 1 where id = ?').run(
            mainSession,
            id,
          );
        continue;
      }
      for (const [table, column] of [
        ['turns', 'commit_id'],
        ['sessions', 'commit_id'],
        ['visuals', 'commit_id'],
      ] as const) {
        db.prepare(`update ${table} set ${column} = ?, version = version + 1 where ${column} = ?`).run(
          target,
          id,
        );
      }
      this.remove('cognitive_commits', id, commit.synced_version as number);
      const sets: string[] = ['legacy_id = coalesce(legacy_id, @legacy_id)'];
      const params: Record<string, unknown> = { id: target, legacy_id: commit.legacy_id, now: this.now };
      for (const column of CURATED_TEXT) {
        if (!columns.has(column) || commit[column] === null || commit[column] === undefined) continue;
        // A tombstone keeps its public slug (unique): only a deleted row gives it up.
        if (column === 'public_slug' && (commit.synced_version as number) > 0) continue;
        sets.push(`${column} = coalesce(@${column}, ${column})`);
        params[column] = commit[column];
      }
      for (const column of CURATED_NUMBERS) {
        if (!columns.has(column) || !commit[column]) continue;
        sets.push(`${column} = @${column}`);
        params[column] = commit[column];
      }
      db.prepare(
        `update cognitive_commits set ${sets.join(', ')}, version = version + 1, updated_at = @now where id = @id`,
      ).run(params);
      record.run('cognitive_commits', commit.legacy_id as string, target, this.now);
      counts.commits++;
    }

    // The session: removed once nothing points at it.
    if (legacySessionId !== mainSession) {
      const used =
        db
          .prepare('select 1 from turns where session_id = ? and deleted_at is null limit 1')
          .get(legacySessionId) ??
        db
          .prepare('select 1 from cognitive_commits where session_id = ? and deleted_at is null limit 1')
          .get(legacySessionId);
      if (used === undefined) {
        db.prepare(`update sessions set legacy_id = coalesce(legacy_id, ?),
          commit_id = coalesce(commit_id, (select id from cognitive_commits where id = ?)) where id = ?`).run(
          fileName,
          legacySession.commit_id,
          mainSession,
        );
        this.remove('sessions', legacySessionId, legacySession.synced_version);
        counts.sessions++;
      }
      // Otherwise it keeps the rows whose lines are not in this file (another file of the same name, or lines the
      // importer does not store); they stay as they are.
    }
    record.run('sessions', fileName, mainSession, this.now);
    return counts;
  }

  /** Deletes a row the server never acknowledged; makes an acknowledged one a tombstone. */
  private remove(table: string, id: string, syncedVersion: number): void {
    if (syncedVersion > 0) {
      this.db
        .prepare(`update ${table} set deleted_at = ?, version = version + 1, updated_at = ? where id = ?`)
        .run(this.now, this.now, id);
    } else {
      this.db.prepare(`delete from ${table} where id = ?`).run(id);
    }
  }
}
