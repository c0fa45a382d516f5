import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, normalize, relative, sep } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { readClaudeLine } from './claude.js';
import { ClaudeAssembler, type ClaudeFileState } from './claude-assembler.js';
import { CodexAssembler, type CodexFileState } from './codex.js';
import { rowId } from './ids.js';
import { LegacyFolder, type LegacyLine } from './legacy-fold.js';
import { MAX_LINE_BYTES, readLinesFrom, type TooLongLine } from './lines.js';
import type { RecordBatch, Source } from './records.js';
import { wellFormedLine } from './text.js';
import { TranscriptWriter, type WriteCounts } from './writer.js';

export interface ImportOptions {
  /** Claude Code `projects` folders (see `resolveClaudeRoots`). */
  claudeRoots: string[];
  /** Codex CLI `sessions` folders (see `resolveCodexRoots`). */
  codexRoots: string[];
  /** This device's id: written as `device_id` on every row this import writes. */
  deviceId: string;
  /** Origin machine id for new rows (default: the `machines` row id derived from `deviceId`). */
  machineId?: string;
  /** This machine's description, recorded in `machines` (name defaults to the hostname). */
  machine?: { name: string; hostname: string; platform: string };
  /** Progress after each file (and within large files). */
  onProgress?: (progress: ImportProgress) => void;
  /** Stops after the file in flight. */
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
  /** Turns per write batch inside one file's transaction (default 2000). */
  batchSize?: number;
}

export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  path: string;
}

export interface MalformedLineReport {
  path: string;
  line: number;
  reason: string;
}

export interface FileFailure {
  path: string;
  error: string;
}

export interface ImportResult extends WriteCounts {
  filesFound: number;
  /** Files read (new, grown or rewritten). */
  filesRead: number;
  /** Files unchanged since the last import (not opened). */
  filesUnchanged: number;
  /** Files read again from the start because they shrank or were rewritten. */
  filesReread: number;
  filesFailed: FileFailure[];
  linesRead: number;
  bytesRead: number;
  malformedLines: number;
  /** The first malformed lines (at most 20), with file and line number. */
  malformed: MalformedLineReport[];
  /** Lines carrying usage that ccusage 20 does not read (usage written as `"usage": {` with a space). */
  usageLinesNotCompact: number;
  /** Rows of an earlier release folded into the rows of the same transcript lines (their ids kept in `legacy_ids`). */
  legacyTurnsFolded: number;
  legacyCommitsFolded: number;
  legacySessionsFolded: number;
  interrupted: boolean;
  durationMs: number;
}

interface FileEntry {
  path: string;
  source: Source;
  root: string;
  size: number;
  mtimeMs: number;
}

interface CursorRow {
  path: string;
  size: number;
  mtime_ms: number;
  byte_offset: number;
  line_count: number;
  head_hash: string | null;
  session_id: string | null;
  state: string | null;
  malformed_lines: number;
}

const HEAD_BYTES = 4096;
const MAX_REPORTED = 20;
const GROUP_BYTES = 16 * 1024 * 1024;

/** What a folder held when it was listed: its subfolders and `.jsonl` files. */
interface FolderListing {
  /** The folder's mtime then: adding, removing or renaming an entry changes it. */
  mtimeMs: number;
  /** When it was listed (epoch ms). */
  listedAtMs: number;
  folders: string[];
  files: string[];
}

/**
 * A listing taken this close to the folder's last change may have missed an entry created in the same clock
 * tick (file systems keep mtimes as coarse as 2 s), so it is read again next time.
 */
const RACY_LISTING_MS = 2000;

/**
 * Lists folders, reusing the listing of a folder whose mtime has not changed since it was listed (an entry
 * added, removed or renamed in it changes it; a file growing does not, and files are stat-ed anyway). A
 * no-op import then costs a `stat` per folder instead of reading each one.
 */
class FolderLister {
  /** Listings read in this run (new, changed or racy): to be stored for the next one. */
  readonly listed = new Map<string, FolderListing>();

  constructor(private readonly known: ReadonlyMap<string, FolderListing> = new Map()) {}

  list(dir: string): FolderListing | null {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return null;
    const known = this.known.get(dir);
    if (known && known.mtimeMs === st.mtimeMs && known.listedAtMs - st.mtimeMs > RACY_LISTING_MS)
      return known;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return null;
    }
    const listing: FolderListing = { mtimeMs: st.mtimeMs, listedAtMs: Date.now(), folders: [], files: [] };
    for (const e of entries) {
      if (e.isDirectory()) listing.folders.push(e.name);
      else if (e.isFile() && e.name.endsWith('.jsonl')) listing.files.push(e.name);
    }
    this.listed.set(dir, listing);
    return listing;
  }
}

/**
 * Collects the `.jsonl` files under `dir` (whose path is normalized). Child paths are built by concatenation:
 * for a normalized folder and a plain entry name that is what `path.join` returns, at half the cost.
 */
function walkJsonl(dir: string, lister: FolderLister, out: string[]): void {
  const listing = lister.list(dir);
  if (!listing) return;
  const prefix = dir === '.' ? '' : dir.endsWith(sep) ? dir : dir + sep;
  for (const name of listing.folders) walkJsonl(prefix + name, lister, out);
  for (const name of listing.files) out.push(prefix + name);
}

/**
 * Sorts paths by name, except that a session's folder (`<session>/subagents/agent-*.jsonl`) comes before its
 * file `<session>.jsonl`: a subagent response the parent also copies into `agent_progress` lines is then first
 * stored from the subagent's own file, and the progress copy merges into that turn
 * (docs/decisions/0021-equality-with-ccusage.md).
 */
function sortSubagentsFirst(paths: string[]): void {
  const key = (p: string) => (p.endsWith('.jsonl') ? `${p.slice(0, -6)}${sep}\uffff` : p);
  const keyed = paths.map((p) => [key(p), p] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) paths[i] = keyed[i]![1];
}

/** Every transcript file under the roots, in a stable order (a session's subagent files before it). */
export function findTranscriptFiles(
  claudeRoots: string[],
  codexRoots: string[],
  lister: FolderLister = new FolderLister(),
): FileEntry[] {
  const files: FileEntry[] = [];
  const seen = new Set<string>();
  const add = (roots: string[], source: Source) => {
    for (const root of roots) {
      const paths: string[] = [];
      walkJsonl(normalize(root), lister, paths);
      sortSubagentsFirst(paths);
      for (const path of paths) {
        if (seen.has(path)) continue;
        seen.add(path);
        // undefined when it vanished between listing and stat: nothing to import
        const st = statSync(path, { throwIfNoEntry: false });
        if (st?.isFile()) files.push({ path, source, root, size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
      }
    }
  };
  add(claudeRoots, 'claude_code');
  add(codexRoots, 'codex');
  return files;
}

/** The folder listings the last imports stored. */
function readFolderListings(db: BetterSqlite3.Database): Map<string, FolderListing> {
  const known = new Map<string, FolderListing>();
  for (const [path, mtimeMs, listedAtMs, folders, files] of db
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

function storeFolderListings(db: BetterSqlite3.Database, listed: Map<string, FolderListing>): void {
  if (listed.size === 0) return;
  const upsert = db.prepare(
    `insert into import_folders (path, mtime_ms, listed_at_ms, folders, files) values (?, ?, ?, ?, ?)
     on conflict(path) do update set mtime_ms = excluded.mtime_ms, listed_at_ms = excluded.listed_at_ms,
       folders = excluded.folders, files = excluded.files`,
  );
  db.transaction(() => {
    for (const [path, l] of listed) {
      upsert.run(path, l.mtimeMs, l.listedAtMs, JSON.stringify(l.folders), JSON.stringify(l.files));
    }
  }).immediate();
}

/**
 * A fingerprint of what was imported: hashes of the first 4 KiB and of the 4 KiB that end at `offset`. A file
 * rewritten at its start or around the resume point no longer matches and is read again from the start.
 */
function fingerprint(path: string, offset: number): string | null {
  if (offset <= 0) return null;
  const fd = openSync(path, 'r');
  try {
    const headLength = Math.min(HEAD_BYTES, offset);
    const head = Buffer.alloc(headLength);
    const headRead = readSync(fd, head, 0, headLength, 0);
    const tailStart = Math.max(0, offset - HEAD_BYTES);
    const tail = Buffer.alloc(offset - tailStart);
    const tailRead = readSync(fd, tail, 0, tail.length, tailStart);
    if (tailRead !== tail.length) return null;
    const hash = (b: Buffer) => createHash('sha1').update(b).digest('hex');
    return `${hash(head.subarray(0, headRead))}:${hash(tail)}`;
  } finally {
    closeSync(fd);
  }
}

/** Whether a last line without a newline is already a whole JSON value (else it waits for the next run). */
export function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Imports Claude Code transcripts and Codex CLI rollouts into the local store. Incremental by file (size, mtime,
 * byte offset); a file that shrank or was rewritten before its offset is read again from the start (rows are
 * upserted by deterministic id, never deleted). Each file is imported in one transaction; one bad file never
 * aborts the import. Transcripts are opened read-only.
 */
export function importTranscripts(db: BetterSqlite3.Database, options: ImportOptions): ImportResult {
  const started = performance.now();
  const now = (options.now ?? (() => new Date()))().toISOString();
  const machineId = options.machineId ?? rowId.machine(options.deviceId);
  // A larger page cache keeps the id indexes in memory while thousands of rows go in.
  db.pragma('cache_size = -32768');
  // Statement journals (each insert inside a file's savepoint keeps one) stay in memory: spilled to a temp file
  // they cost several page writes per turn.
  db.pragma('temp_store = MEMORY');
  // No checkpoint after every group commit: each one copied the WAL back into the database and synced it, and
  // the index pages that every group touches were copied again each time. One checkpoint at the end instead.
  const autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma('wal_autocheckpoint = 0');
  const writer = new TranscriptWriter(db, options.deviceId, machineId, now);
  if (options.machine) writer.touchMachine(options.machine);
  const batchSize = options.batchSize ?? 2000;

  // Rows of an earlier release are folded into the rows of their transcript's lines when it is imported.
  const legacy = new LegacyFolder(db, now);
  const legacyPending = (file: FileEntry) =>
    legacy.active && file.source === 'claude_code' && legacy.pending(basename(file.path, '.jsonl'));
  const lister = new FolderLister(readFolderListings(db));
  const files = findTranscriptFiles(options.claudeRoots, options.codexRoots, lister);
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  const result: ImportResult = {
    ...writer.counts,
    filesFound: files.length,
    filesRead: 0,
    filesUnchanged: 0,
    filesReread: 0,
    filesFailed: [],
    linesRead: 0,
    bytesRead: 0,
    malformedLines: 0,
    malformed: [],
    usageLinesNotCompact: 0,
    legacyTurnsFolded: 0,
    legacyCommitsFolded: 0,
    legacySessionsFolded: 0,
    interrupted: false,
    durationMs: 0,
  };

  /** Sessions that received sidechain turns in this run: they join their parent's segments at the end. */
  const withSidechains = new Set<string>();
  // Every file's size and mtime in one read: a no-op run is one stat per file and no per-file query. The whole
  // cursor is read only for a file that changed.
  const seen = new Map<string, [size: number, mtimeMs: number]>();
  for (const [path, size, mtimeMs] of db
    .prepare('select path, size, mtime_ms from import_files')
    .raw()
    .all() as [string, number, number][]) {
    seen.set(path, [size, mtimeMs]);
  }
  const readCursor = db.prepare('select * from import_files where path = ?');
  const saveCursor = db.prepare(`
    insert into import_files (path, source, size, mtime_ms, byte_offset, line_count, head_hash, session_id, state,
      malformed_lines, imported_at)
    values (@path, @source, @size, @mtime_ms, @byte_offset, @line_count, @head_hash, @session_id, @state,
      @malformed_lines, @imported_at)
    on conflict(path) do update set source = excluded.source, size = excluded.size, mtime_ms = excluded.mtime_ms,
      byte_offset = excluded.byte_offset, line_count = excluded.line_count, head_hash = excluded.head_hash,
      session_id = excluded.session_id, state = excluded.state, malformed_lines = excluded.malformed_lines,
      imported_at = excluded.imported_at`);

  let filesDone = 0;
  let bytesDone = 0;
  const report = (path: string, extra = 0) =>
    options.onProgress?.({
      filesDone,
      filesTotal: files.length,
      bytesDone: bytesDone + extra,
      bytesTotal,
      path,
    });

  // Small files are written in groups: one transaction per group, a savepoint per file (a file that fails
  // rolls back alone). A group ends after GROUP_BYTES of input so the write lock is never held for long.
  let groupBytes = 0;
  const commitGroup = () => {
    if (db.inTransaction) db.exec('COMMIT');
    groupBytes = 0;
  };
  try {
    for (const file of files) {
      if (options.signal?.aborted) {
        result.interrupted = true;
        break;
      }
      const last = seen.get(file.path);
      // Unchanged since the last import: not opened (the common case, kept free of per-file work).
      if (last && last[0] === file.size && last[1] === file.mtimeMs && !legacyPending(file))
        result.filesUnchanged++;
      else importOrReportFailure(file, last !== undefined);
      filesDone++;
      bytesDone += file.size;
      report(file.path);
    }
    commitGroup();
    if (withSidechains.size > 0)
      db.transaction(() => writer.attachSidechainTurns(withSidechains)).immediate();
    storeFolderListings(db, lister.listed);
  } finally {
    commitGroup();
    db.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
  }
  // A checkpoint that finds readers copies what it can; the next one finishes.
  if (result.filesRead > 0) db.pragma('wal_checkpoint(TRUNCATE)');

  Object.assign(result, writer.counts);
  result.durationMs = Math.round(performance.now() - started);
  return result;

  /**
   * Imports a new or changed file into the open group (`known`: it has a cursor). A file that fails is rolled
   * back alone, its counts with it, and reported; a locked database stops the import.
   */
  function importOrReportFailure(file: FileEntry, known: boolean): void {
    const countsBefore = { ...writer.counts };
    const resultBefore = {
      linesRead: result.linesRead,
      bytesRead: result.bytesRead,
      malformedLines: result.malformedLines,
      reported: result.malformed.length,
      usageLinesNotCompact: result.usageLinesNotCompact,
      filesReread: result.filesReread,
      legacyTurnsFolded: result.legacyTurnsFolded,
      legacyCommitsFolded: result.legacyCommitsFolded,
      legacySessionsFolded: result.legacySessionsFolded,
    };
    try {
      if (!db.inTransaction) db.exec('BEGIN IMMEDIATE');
      const cursor = known ? (readCursor.get(file.path) as CursorRow | undefined) : undefined;
      groupBytes += importFile(file, cursor);
      if (groupBytes >= GROUP_BYTES) commitGroup();
    } catch (error) {
      // A locked database is not a bad file: stop and let the caller report it.
      const code = (error as { code?: unknown })?.code;
      if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')))
        throw error;
      // The file's writes were rolled back: so are its counts.
      writer.forgetWritten();
      Object.assign(writer.counts, countsBefore);
      result.malformed.length = resultBefore.reported;
      result.linesRead = resultBefore.linesRead;
      result.bytesRead = resultBefore.bytesRead;
      result.malformedLines = resultBefore.malformedLines;
      result.usageLinesNotCompact = resultBefore.usageLinesNotCompact;
      result.filesReread = resultBefore.filesReread;
      result.legacyTurnsFolded = resultBefore.legacyTurnsFolded;
      result.legacyCommitsFolded = resultBefore.legacyCommitsFolded;
      result.legacySessionsFolded = resultBefore.legacySessionsFolded;
      result.filesFailed.push({
        path: file.path,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Imports one file inside the open group transaction (as a savepoint); returns the bytes read. */
  function importFile(file: FileEntry, cursor: CursorRow | undefined): number {
    let offset = 0;
    let lineCount = 0;
    let state: unknown;
    let malformedInFile = 0;
    // A file with legacy rows to fold is read whole: the fold needs every line's message.
    const legacyLines = legacyPending(file) ? new Map<string, LegacyLine>() : null;
    if (cursor && legacyLines === null) {
      const sameHead =
        cursor.byte_offset === 0 ||
        (file.size >= cursor.byte_offset && fingerprint(file.path, cursor.byte_offset) === cursor.head_hash);
      if (sameHead) {
        offset = cursor.byte_offset;
        lineCount = cursor.line_count;
        malformedInFile = cursor.malformed_lines;
        try {
          state = cursor.state ? JSON.parse(cursor.state) : undefined;
        } catch {
          // An unreadable parser state: read the file again from the start (idempotent).
          offset = 0;
          lineCount = 0;
          malformedInFile = 0;
          state = undefined;
          result.filesReread++;
        }
      } else {
        result.filesReread++;
      }
      if (sameHead && offset >= file.size) {
        // Touched but nothing new: remember the new mtime so the next run skips it cheaply.
        saveCursor.run({
          path: file.path,
          source: file.source,
          size: file.size,
          mtime_ms: file.mtimeMs,
          byte_offset: cursor.byte_offset,
          line_count: cursor.line_count,
          head_hash: cursor.head_hash,
          session_id: cursor.session_id,
          state: cursor.state,
          malformed_lines: cursor.malformed_lines,
          imported_at: now,
        });
        result.filesUnchanged++;
        return 0;
      }
    }
    const resumed = offset > 0;

    const run = db.transaction(() => {
      const sessions = new Set<string>();
      const flush = (batch: RecordBatch) => {
        for (const id of batch.sessions.keys()) sessions.add(id);
        for (const t of batch.turns.values()) if (t.isSidechain) withSidechains.add(t.sessionId);
        writer.write(batch);
      };
      let read: { offset: number; line: number; size: number };
      let newState: unknown;
      const malformed = (line: number, reason: string) => {
        malformedInFile++;
        result.malformedLines++;
        if (result.malformed.length < MAX_REPORTED) result.malformed.push({ path: file.path, line, reason });
      };
      const onTooLong = (l: TooLongLine) => {
        result.linesRead++;
        malformed(
          l.line,
          `line of ${l.bytes} bytes is above the ${MAX_LINE_BYTES / 1024 / 1024} MiB line limit`,
        );
      };
      /**
       * Reads one line; anything it throws (a value the parser did not expect, a string too long to join) makes
       * that line malformed, never the file. Writing is outside, and a database error is passed on: it still
       * fails the file.
       */
      const guarded = (line: number, handle: () => void): boolean => {
        try {
          handle();
          return true;
        } catch (error) {
          // A database error (the assembler looks up earlier turns) is not the line's fault: the file fails.
          const code = (error as { code?: unknown })?.code;
          if (typeof code === 'string' && code.startsWith('SQLITE_')) throw error;
          const name = error instanceof Error ? error.name : typeof error;
          malformed(
            line,
            `could not be read (${name}${error instanceof RangeError ? `: ${error.message}` : ''})`,
          );
          return false;
        }
      };
      if (file.source === 'claude_code') {
        const fallback = basename(file.path, '.jsonl');
        const assembler = new ClaudeAssembler(
          fallback,
          writer.resumeLookup(),
          resumed,
          state as ClaudeFileState | undefined,
          Math.min(256, batchSize),
        );
        read = readLinesFrom(
          file.path,
          offset,
          lineCount,
          ({ text, line, end }) => {
            result.linesRead++;
            const handled = guarded(line, () => {
              const entry = readClaudeLine(wellFormedLine(text));
              if (entry === null || entry.kind === 'other') return;
              if (entry.kind === 'malformed') {
                malformed(line, entry.reason);
                return;
              }
              if (entry.usageNotCompact) result.usageLinesNotCompact++;
              if (legacyLines !== null && entry.uuid !== null)
                legacyLines.set(entry.uuid, {
                  sessionId: entry.sessionId ?? fallback,
                  messageId: entry.messageId,
                  requestId: entry.requestId,
                });
              assembler.add(entry, line);
            });
            if (handled && assembler.batch.size >= batchSize) {
              flush(assembler.takeBatch());
              report(file.path, end);
            }
          },
          isCompleteJson,
          { onTooLong },
        );
        flush(assembler.takeBatch());
        newState = assembler.state();
        if (legacyLines !== null) {
          const folded = legacy.fold(fallback, legacyLines);
          result.legacyTurnsFolded += folded.turns;
          result.legacyCommitsFolded += folded.commits;
          result.legacySessionsFolded += folded.sessions;
        }
      } else {
        const rel = relative(file.root, file.path)
          .split(sep)
          .join('/')
          .replace(/\.jsonl$/, '');
        const assembler = new CodexAssembler(rel, state as CodexFileState | undefined);
        read = readLinesFrom(
          file.path,
          offset,
          lineCount,
          ({ text, line, end }) => {
            result.linesRead++;
            const handled = guarded(line, () => {
              const outcome = assembler.add(wellFormedLine(text), line);
              if (typeof outcome === 'object') malformed(line, outcome.malformed);
            });
            if (handled && assembler.batch.size >= batchSize) {
              flush(assembler.takeBatch());
              report(file.path, end);
            }
          },
          isCompleteJson,
          { onTooLong },
        );
        flush(assembler.takeBatch());
        newState = assembler.st;
      }
      result.bytesRead += read.offset - offset;
      saveCursor.run({
        path: file.path,
        source: file.source,
        size: read.size,
        mtime_ms: file.mtimeMs,
        byte_offset: read.offset,
        line_count: read.line,
        head_hash: fingerprint(file.path, read.offset),
        session_id: sessions.size === 1 ? [...sessions][0]! : null,
        state: JSON.stringify(newState),
        malformed_lines: malformedInFile,
        imported_at: now,
      });
      return read.offset - offset;
    });
    const bytes = run();
    result.filesRead++;
    return bytes;
  }
}
