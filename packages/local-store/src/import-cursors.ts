/**
 * What the transcript import stores about the files it read (`import_files`: size, mtime, byte offset,
 * fingerprint and parser state per file) and the folders it listed (`import_folders`), and the connection
 * settings and transactions of one import run. The import pipeline (`@agentlogs/ingest`) decides; this module
 * is its only SQL.
 */
import { statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { BackgroundCheckpointer } from './background-checkpoint.js';
import { withBusyTimeout } from './connection.js';
import { LegacyFolder } from './legacy-fold.js';
import { flushSearchIndex, flushSearchIndexInSlices } from './search-index.js';
import { TranscriptWriter } from './transcript-writer.js';
import { refreshUsageRollup, type UsagePrices } from './usage-rollup.js';

/** Where the last import of one file stopped. */
export interface ImportCursor {
  path: string;
  source: string;
  size: number;
  mtimeMs: number;
  byteOffset: number;
  lineCount: number;
  /** Fingerprint of what was read (see the pipeline's `fingerprint`). */
  headHash: string | null;
  sessionId: string | null;
  /** The adapter's parser state, serialised as JSON. */
  state: string | null;
  malformedLines: number;
}

/** What a folder held when it was listed: its subfolders and `.jsonl` files. */
export interface FolderListing {
  /** The folder's mtime then: adding, removing or renaming an entry changes it. */
  mtimeMs: number;
  /** When it was listed (epoch ms). */
  listedAtMs: number;
  folders: string[];
  files: string[];
}

interface CursorRow {
  path: string;
  source: string;
  size: number;
  mtime_ms: number;
  byte_offset: number;
  line_count: number;
  head_hash: string | null;
  session_id: string | null;
  state: string | null;
  malformed_lines: number;
}

/** The import cursors of a database, with prepared statements. */
export class ImportCursors {
  private readonly readCursor: BetterSqlite3.Statement;
  private readonly saveCursor: BetterSqlite3.Statement;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.readCursor = db.prepare('select * from import_files where path = ?');
    this.saveCursor = db.prepare(`
      insert into import_files (path, source, size, mtime_ms, byte_offset, line_count, head_hash, session_id, state,
        malformed_lines, imported_at)
      values (@path, @source, @size, @mtime_ms, @byte_offset, @line_count, @head_hash, @session_id, @state,
        @malformed_lines, @imported_at)
      on conflict(path) do update set source = excluded.source, size = excluded.size, mtime_ms = excluded.mtime_ms,
        byte_offset = excluded.byte_offset, line_count = excluded.line_count, head_hash = excluded.head_hash,
        session_id = excluded.session_id, state = excluded.state, malformed_lines = excluded.malformed_lines,
        imported_at = excluded.imported_at`);
  }

  /**
   * Every file's size and mtime in one read: a no-op run is one stat per file and no per-file query. The whole
   * cursor is read only for a file that changed.
   */
  sizes(): Map<string, [size: number, mtimeMs: number]> {
    const seen = new Map<string, [size: number, mtimeMs: number]>();
    for (const [path, size, mtimeMs] of this.db
      .prepare('select path, size, mtime_ms from import_files')
      .raw()
      .all() as [string, number, number][]) {
      seen.set(path, [size, mtimeMs]);
    }
    return seen;
  }

  get(path: string): ImportCursor | undefined {
    const row = this.readCursor.get(path) as CursorRow | undefined;
    if (!row) return undefined;
    return {
      path: row.path,
      source: row.source,
      size: row.size,
      mtimeMs: row.mtime_ms,
      byteOffset: row.byte_offset,
      lineCount: row.line_count,
      headHash: row.head_hash,
      sessionId: row.session_id,
      state: row.state,
      malformedLines: row.malformed_lines,
    };
  }

  save(cursor: ImportCursor, importedAt: string): void {
    this.saveCursor.run({
      path: cursor.path,
      source: cursor.source,
      size: cursor.size,
      mtime_ms: cursor.mtimeMs,
      byte_offset: cursor.byteOffset,
      line_count: cursor.lineCount,
      head_hash: cursor.headHash,
      session_id: cursor.sessionId,
      state: cursor.state,
      malformed_lines: cursor.malformedLines,
      imported_at: importedAt,
    });
  }

  /** The folder listings the last imports stored. */
  folderListings(): Map<string, FolderListing> {
    const known = new Map<string, FolderListing>();
    for (const [path, mtimeMs, listedAtMs, folders, files] of this.db
      .prepare('select path, mtime_ms, listed_at_ms, folders, files from import_folders')
      .raw()
      .all() as [string, number, number, string, string][]) {
      try {
        known.set(path, { mtimeMs, listedAtMs, folders: JSON.parse(folders), files: JSON.parse(files) });
      } catch {
        // unreadable: the folder is listed again
      }
    }
    return known;
  }

  storeFolderListings(listed: ReadonlyMap<string, FolderListing>): void {
    if (listed.size === 0) return;
    const upsert = this.db.prepare(
      `insert into import_folders (path, mtime_ms, listed_at_ms, folders, files) values (?, ?, ?, ?, ?)
       on conflict(path) do update set mtime_ms = excluded.mtime_ms, listed_at_ms = excluded.listed_at_ms,
         folders = excluded.folders, files = excluded.files`,
    );
    this.db
      .transaction(() => {
        for (const [path, l] of listed) {
          upsert.run(path, l.mtimeMs, l.listedAtMs, JSON.stringify(l.folders), JSON.stringify(l.files));
        }
      })
      .immediate();
  }
}

export interface TranscriptImportOptions {
  deviceId: string;
  machineId: string;
  /** The import's time (ISO-8601), written as `updated_at` / `imported_at`. */
  now: string;
  /**
   * Leaves to the next writer what does not need doing now, for an import that must end fast whatever the
   * database's size (the agent's session-end hook): the turns written wait in the search index's queue for the
   * next import, pull or search (`flushSearchIndex` indexes the whole queue) — adding to a large FTS5 index can
   * set off a merge of its segments that takes longer than the rest of the import — and the WAL is not copied
   * back into the database at the end (the next import's checkpoint, or SQLite's automatic one, does it).
   */
  deferred?: boolean;
  /**
   * The prices `stats` reads with: given, an import that wrote turns rebuilds the usage rollup at its end
   * (`refreshUsageRollup`), so the next `stats` or dashboard reads it built. Left out (and in a deferred
   * import), the rollup stays stale and the next reader rebuilds it.
   */
  prices?: UsagePrices;
}

/**
 * Indexes of `turns` that no lookup of the import needs (its lookups go by id or by session): an import into a
 * database without turns (the first import) drops them and builds each once at its end, sorted, instead of
 * updating three more B-trees for every turn (measured: about a quarter of the first import's CPU time). The
 * statements are those of the local-store migrations (v14, v15). Any later import recreates one found missing
 * (after a first import that was killed before its end); until then the queries that use them are slower, not wrong.
 */
export const DEFERRED_TURN_INDEXES: Readonly<Record<string, string>> = {
  idx_turns_commit: 'create index if not exists idx_turns_commit on turns(commit_id)',
  idx_turns_pending:
    'create index if not exists idx_turns_pending on turns(id) where version > synced_version',
  idx_turns_usage: `create index if not exists idx_turns_usage on turns(message_id, request_id, is_sidechain,
          session_id, timestamp, model, speed, input_tokens, output_tokens, cache_creation_tokens,
          cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, machine_id, deleted_at)`,
};

/** Turns per statement when a first import feeds the search index at its end. */
const SEARCH_SLICE = 20_000;

/** The deferred indexes missing from the database (none normally). */
function missingTurnIndexes(db: BetterSqlite3.Database): string[] {
  const present = new Set(
    db
      .prepare("select name from sqlite_master where type = 'index' and tbl_name = 'turns'")
      .pluck()
      .all() as string[],
  );
  return Object.keys(DEFERRED_TURN_INDEXES).filter((name) => !present.has(name));
}

/**
 * One import run's hold on the database: its writer, legacy folder and cursors, the connection settings the
 * run needs, and its transactions (a group of files per transaction, a savepoint per file). Measured by
 * `pnpm bench` (ingest section): keep one transaction per group and the statements prepared once per run.
 */
export class TranscriptImport {
  readonly writer: TranscriptWriter;
  readonly legacy: LegacyFolder;
  readonly cursors: ImportCursors;
  private readonly autoCheckpoint: number;
  /** Search indexing and the final checkpoint left to the next writer (`TranscriptImportOptions.deferred`). */
  private readonly deferred: boolean;
  /** The indexes this run dropped and builds at its end. */
  private deferredIndexes: string[] = [];
  private readonly prices: UsagePrices | undefined;
  /** The helper copying the WAL back while this run writes (`checkpointWhileImporting`), if one runs. */
  private checkpointer: BackgroundCheckpointer | null = null;
  /** While a helper runs: the WAL size at which a group commit starts the WAL again (`keepWalShort`). */
  private walLimitBytes = WAL_LIMIT_BYTES;

  constructor(
    private readonly db: BetterSqlite3.Database,
    options: TranscriptImportOptions,
  ) {
    // A larger page cache keeps the id indexes in memory while thousands of rows go in.
    db.pragma('cache_size = -32768');
    // Statement journals (each insert inside a file's savepoint keeps one) stay in memory: spilled to a temp file
    // they cost several page writes per turn.
    db.pragma('temp_store = MEMORY');
    // No checkpoint after every group commit: each one copied the WAL back into the database and synced it, and
    // the index pages that every group touches were copied again each time. One checkpoint at the end instead.
    this.autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    db.pragma('wal_autocheckpoint = 0');
    if (!db.inTransaction && missingTurnIndexes(db).length > 0) this.restoreTurnIndexes();
    this.writer = new TranscriptWriter(db, options.deviceId, options.machineId, options.now);
    this.legacy = new LegacyFolder(db, options.now);
    this.cursors = new ImportCursors(db);
    this.deferred = options.deferred === true;
    this.prices = options.prices;
  }

  /** Recreates deferred indexes left unbuilt by a first import that was killed before its end. */
  private restoreTurnIndexes(): void {
    this.db
      .transaction(() => {
        for (const name of missingTurnIndexes(this.db)) this.db.exec(DEFERRED_TURN_INDEXES[name]!);
      })
      .immediate();
  }

  /**
   * Before a large import: when the database holds no turns yet (a first import), drops the deferred indexes
   * (in one transaction with the check); `finish` builds them. Returns whether it did.
   */
  deferTurnIndexes(): boolean {
    if (this.db.inTransaction || this.deferredIndexes.length > 0) return false;
    const hasTurns = this.db.prepare('select 1 from turns limit 1').pluck();
    return this.db
      .transaction(() => {
        if (hasTurns.get() !== undefined) return false;
        const missing = missingTurnIndexes(this.db);
        for (const name of Object.keys(DEFERRED_TURN_INDEXES))
          if (!missing.includes(name)) this.db.exec(`drop index ${name}`);
        this.deferredIndexes = Object.keys(DEFERRED_TURN_INDEXES);
        // With three B-trees fewer to keep, half the page cache serves as well, and keeps the import (with
        // its parse workers) under 200 MB resident.
        this.db.pragma('cache_size = -16384');
        return true;
      })
      .immediate();
  }

  /**
   * Before a large import: a helper thread copies the WAL back into the database as it grows, while this run
   * writes (see `BackgroundCheckpointer`); `checkpoint` stops it and copies what is left. Not for a deferred
   * (hook) import, nor an in-memory database. Returns whether a helper runs.
   *
   * A WAL can only start again from its beginning when everything in it has been copied back at the moment a
   * writer begins; an import that commits group after group never leaves the helper that moment, so while a
   * helper runs, a group commit that finds the WAL at `walLimitBytes` or more starts it again itself
   * (`keepWalShort`): what the WAL holds on disk stays near that size whatever the import's size.
   */
  checkpointWhileImporting(options: { walLimitBytes?: number } = {}): boolean {
    if (this.checkpointer || this.deferred || this.db.memory) return this.checkpointer !== null;
    if (String(this.db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return false;
    this.walLimitBytes = options.walLimitBytes ?? WAL_LIMIT_BYTES;
    this.checkpointer = BackgroundCheckpointer.start(this.db.name);
    return this.checkpointer !== null;
  }

  /**
   * After a group commit, while a helper runs: when the WAL has reached the limit, copies what the helper has not
   * copied yet (the last groups) and truncates the WAL, on this thread, with no transaction open. It never waits:
   * when the helper's checkpoint is in flight, or another connection still reads from the WAL, it leaves the WAL
   * as it is and the next group commit tries again.
   */
  private keepWalShort(): void {
    if (!this.checkpointer || walBytes(this.db) < this.walLimitBytes) return;
    withBusyTimeout(this.db, 0, () => {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Busy: the next group commit tries again.
      }
    });
  }

  /**
   * Stops the helper, if one runs (idempotent; also after a failure) and turns SQLite's automatic checkpoint
   * back on. Returns the checkpoints the helper ran.
   */
  stopCheckpointing(): number {
    const runs = this.checkpointer?.stop() ?? 0;
    this.checkpointer = null;
    this.db.pragma(`wal_autocheckpoint = ${this.autoCheckpoint}`);
    return runs;
  }

  /**
   * Builds the indexes this run dropped in one transaction, then indexes the run's turns for search, each slice
   * in a transaction of its own, so that the WAL can start again between them (`keepWalShort`). An import killed
   * in between leaves nothing wrong: missing indexes are built by the next import, queued turns are indexed by the
   * next writer or search.
   */
  private buildDeferredIndexes(): void {
    if (this.deferredIndexes.length === 0) return;
    // The index builds sort every turn: with temporary storage in memory that sort would be held whole (its
    // size grows with the tree); in a temporary file it spills past the page cache and memory stays flat.
    this.db.pragma('temp_store = FILE');
    const inTransaction = (work: () => number): number => {
      const result = this.db.transaction(work).immediate();
      this.keepWalShort();
      return result;
    };
    try {
      // SQLite bounds a sort's memory by the page cache: with the default 2 MB the three builds ran faster than
      // with the import's 16 MiB (1.9 s against 2.2–3.6 s on the 5× bench tree, measured alone), and one helper
      // thread of SQLite's sorter merges beside this one (1.5 s). Decision 0108.
      const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
      this.db.pragma('cache_size = -2000');
      this.db.pragma('threads = 1');
      try {
        inTransaction(() => {
          for (const name of this.deferredIndexes) this.db.exec(DEFERRED_TURN_INDEXES[name]!);
          return 0;
        });
      } finally {
        this.db.pragma('threads = 0');
        this.db.pragma(`cache_size = ${cacheSize}`);
      }
      this.deferredIndexes = [];
      flushSearchIndexInSlices(this.db, SEARCH_SLICE, inTransaction);
    } finally {
      this.db.pragma('temp_store = MEMORY');
    }
  }

  /** Opens the group transaction unless one is open. */
  beginGroup(): void {
    if (!this.db.inTransaction) this.db.exec('BEGIN IMMEDIATE');
  }

  /** Commits the open group transaction, if any. */
  commitGroup(): void {
    if (!this.db.inTransaction) return;
    // The turns the group wrote go into the search index in the same transaction, in one statement; during a
    // first import they wait in the index's queue and go in with one statement at its end (a search meanwhile
    // indexes the queue first, as it does after any writer), as they do after a deferred (hook) import.
    if (this.indexesSearchAtCommit()) flushSearchIndex(this.db);
    this.db.exec('COMMIT');
    this.keepWalShort();
  }

  /** Whether a commit indexes its turns for search (else they wait in the index's queue, see `commitGroup`). */
  private indexesSearchAtCommit(): boolean {
    return !this.deferred && this.deferredIndexes.length === 0;
  }

  /**
   * Runs `write` as one file's savepoint inside the group, or, when no group is open, as its own transaction,
   * committed as a group is.
   */
  inFile<T>(write: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(write)();
    const result = this.db
      .transaction(() => {
        const written = write();
        if (this.indexesSearchAtCommit()) flushSearchIndex(this.db);
        return written;
      })
      .immediate();
    this.keepWalShort();
    return result;
  }

  /** Sidechain (subagent) turns of these sessions join their parent's segments, in one transaction. */
  attachSidechainTurns(sessionIds: Set<string>): void {
    if (sessionIds.size > 0)
      this.db.transaction(() => this.writer.attachSidechainTurns(sessionIds)).immediate();
  }

  /**
   * Commits what is open and restores the connection settings (also after a failure). While a helper copies
   * the WAL back (`checkpointWhileImporting`), the automatic checkpoint stays off until `checkpoint`, so that the
   * copying stays off this thread; after a failure the helper stops here.
   */
  finish(): void {
    let failed = true;
    try {
      try {
        this.commitGroup();
      } finally {
        this.buildDeferredIndexes();
      }
      failed = false;
    } finally {
      if (failed || !this.checkpointer) this.stopCheckpointing();
    }
  }

  /**
   * After an import that wrote turns (called after `finish`, before `checkpoint`): rebuilds the usage rollup
   * when it is stale, unless the import is deferred or was given no prices. Moves the rebuild that the next
   * `stats` or dashboard would do to the end of the import. The scan reads every turn once, in the usage index's
   * order: SQLite's default page cache serves it as fast as the import's larger one, which is given back first.
   * Returns whether it rebuilt the rollup.
   */
  refreshUsageRollup(): boolean {
    if (this.deferred || this.prices === undefined || this.db.inTransaction) return false;
    this.db.pragma('cache_size = -2000');
    return refreshUsageRollup(this.db, this.prices);
  }

  /**
   * Copies the WAL back into the database once, at the end of an import that wrote (what a helper of
   * `checkpointWhileImporting` left: it is stopped first). A deferred import leaves a
   * WAL smaller than SQLite's own automatic checkpoint threshold to the next writer, so that hook after hook
   * (with no other import in between) never lets it grow past that.
   */
  checkpoint(): void {
    this.stopCheckpointing();
    if (this.deferred && walBytes(this.db) < DEFERRED_WAL_LIMIT_BYTES) return;
    // A checkpoint that finds readers copies what it can; the next one finishes.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}

/**
 * The WAL size at which a large import's group commit starts the WAL again (`keepWalShort`). Below it the helper's
 * copying costs the importing thread nothing; each restart costs it the copy of what the helper has not reached
 * (about one group). Measured by `pnpm bench` (ingest section, 5× tree): see `bench/README.md`.
 */
const WAL_LIMIT_BYTES = 256 * 1024 * 1024;

/** SQLite's automatic checkpoint threshold: 1,000 pages of 4 KiB. */
const DEFERRED_WAL_LIMIT_BYTES = 1000 * 4096;

/** The size of the connection's WAL file (0 when there is none). */
function walBytes(db: BetterSqlite3.Database): number {
  try {
    return statSync(`${db.name}-wal`).size;
  } catch {
    return 0;
  }
}
