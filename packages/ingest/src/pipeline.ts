/**
 * The import pipeline every agent adapter feeds: file discovery with the incremental rules (size and mtime,
 * byte offset, fingerprint, folder listings), line reading, batching, progress, malformed-line reports, the
 * legacy fold and the result counts. Adapters (`agents/`) only parse; the local store (`TranscriptImport`)
 * holds every SQL statement.
 */
import {
  emptyCounts,
  type ImportCursor,
  type RecordBatch,
  type TranscriptImport,
  type WriteCounts,
} from '@agentlogs/local-store';
import type { AgentAdapter, LineReport, TranscriptFile } from './agents/agent.js';
import { discoverFiles, FolderLister, fingerprint, isCompleteJson } from './files.js';
import { MAX_LINE_BYTES, readLinesFrom, readWholeFile, type TooLongLine } from './lines.js';
import { ParsePool, POOL_MIN_BYTES, parseWorkerCount, poolable } from './parse-pool.js';
import { wellFormedLine } from './text.js';

export interface PipelineOptions {
  /** The agents to read and their roots, in import order. */
  agents: readonly { agent: AgentAdapter; roots: readonly string[] }[];
  machine?: { name: string; hostname: string; platform: string };
  onProgress?: (progress: ImportProgress) => void;
  /** Called once before the agents' folders are listed (see `ImportOptions.onListing`). */
  onListing?: (firstListing: boolean) => void;
  signal?: AbortSignal;
  /** The import's time (ISO-8601). */
  now: string;
  /** Turns per write batch inside one file's transaction. */
  batchSize: number;
  /**
   * Worker threads that read and parse new files while this thread assembles and writes (default: one per
   * spare core when there is enough to read, see `parseWorkerCount`; 0 parses on this thread).
   */
  parseWorkers?: number;
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

/** What one file added to the result: merged when the file's writes commit, dropped when they roll back. */
interface FileTally {
  filesRead: number;
  filesUnchanged: number;
  filesReread: number;
  linesRead: number;
  bytesRead: number;
  malformedLines: number;
  malformed: MalformedLineReport[];
  usageLinesNotCompact: number;
  legacyTurnsFolded: number;
  legacyCommitsFolded: number;
  legacySessionsFolded: number;
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

const MAX_REPORTED = 20;
/**
 * Small files are written in groups: one transaction per group, a savepoint per file (a file that fails rolls
 * back alone). A group ends after this much input so the write lock is never held for long.
 */
const GROUP_BYTES = 16 * 1024 * 1024;
/**
 * A file at least this large is written in a transaction of its own instead (the open group is committed first).
 * A savepoint keeps in memory a copy of every page its writes change that existed when it began (SQLite's
 * statement journal, held in memory as the import asks), and a turn's random ids change a page of each id index:
 * about 2.5 bytes of memory per byte read, released when the file is done. The largest file of the 5× bench tree
 * (2.9 MB) held 7 MB that way, the largest of the 2,000-session tree 3 MB: the import's peak RSS grew with the
 * largest file a tree holds. A transaction of its own keeps no such copy (the WAL holds what it wrote).
 */
const OWN_TRANSACTION_BYTES = 512 * 1024;

function emptyTally(): FileTally {
  return {
    filesRead: 0,
    filesUnchanged: 0,
    filesReread: 0,
    linesRead: 0,
    bytesRead: 0,
    malformedLines: 0,
    malformed: [],
    usageLinesNotCompact: 0,
    legacyTurnsFolded: 0,
    legacyCommitsFolded: 0,
    legacySessionsFolded: 0,
  };
}

function addTally(result: ImportResult, tally: FileTally): void {
  for (const key of Object.keys(tally) as (keyof FileTally)[]) {
    if (key === 'malformed') result.malformed.push(...tally.malformed);
    else result[key] += tally[key];
  }
}

/** SQLite's error codes: a database error is never a line's or a file's fault. */
function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Runs one import of the agents' files into `store` (see `importTranscripts`). */
export function runImport(store: TranscriptImport, options: PipelineOptions): ImportResult {
  const started = performance.now();
  const { writer, legacy, cursors } = store;
  if (options.machine) writer.touchMachine(options.machine);

  const known = cursors.folderListings();
  options.onListing?.(known.size === 0);
  const lister = new FolderLister(known);
  const files = discoverFiles(options.agents, lister);
  // The folders listed in this run are kept for the next one now rather than held until the end: on a large
  // tree that is megabytes of names (3.7 MB of heap for the 16,333 files of the 5× bench tree). A listing
  // only says what a folder held at its mtime, so one stored before an import that then fails is still true.
  cursors.storeFolderListings(lister.listed);
  lister.listed.clear();
  const filesTotal = files.length;
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  const result: ImportResult = {
    ...emptyCounts(),
    ...emptyTally(),
    filesFound: filesTotal,
    filesFailed: [],
    interrupted: false,
    durationMs: 0,
  };
  /** The legacy file name of a file whose earlier-release rows wait to be folded, else null. */
  const legacyPending = (file: TranscriptFile): string | null => {
    if (!legacy.active || !file.agent.legacyFileName) return null;
    const name = file.agent.legacyFileName(file);
    return legacy.pending(name) ? name : null;
  };

  /** Sessions that received sidechain turns in this run: they join their parent's segments at the end. */
  const withSidechains = new Set<string>();
  const seen = cursors.sizes();

  const { pool, pooled, queueMore } = queueFreshFiles();
  let filesDone = 0;
  let bytesDone = 0;
  let groupBytes = 0;
  const report = (path: string, extra = 0) =>
    options.onProgress?.({
      filesDone,
      filesTotal,
      bytesDone: bytesDone + extra,
      bytesTotal,
      path,
    });

  let completed = false;
  try {
    // Each file leaves the list (and the pool's map) once done, so that what the run holds shrinks as it goes:
    // the 16,333 files of the 5× bench tree are 4.4 MB of heap.
    files.reverse();
    for (let file = files.pop(); file !== undefined; file = files.pop()) {
      queueMore();
      if (options.signal?.aborted) {
        result.interrupted = true;
        break;
      }
      const last = seen.get(file.path);
      // Unchanged since the last import: not opened (the common case, kept free of per-file work).
      if (last && last[0] === file.size && last[1] === file.mtimeMs && legacyPending(file) === null)
        result.filesUnchanged++;
      else importOrReportFailure(file, last !== undefined);
      pooled.delete(file);
      filesDone++;
      bytesDone += file.size;
      report(file.path);
    }
    store.commitGroup();
    store.attachSidechainTurns(withSidechains);
    completed = true;
  } finally {
    pool?.close();
    // After a failure no helper thread outlives the run.
    if (!completed) store.stopCheckpointing();
    store.finish();
  }
  try {
    // The rollup stats reads, brought up to date when this run changed turns (an import given prices).
    if (!result.interrupted && writer.counts.turnsAdded + writer.counts.turnsUpdated > 0)
      store.refreshUsageRollup();
    if (result.filesRead > 0) store.checkpoint();
  } finally {
    store.stopCheckpointing();
  }

  Object.assign(result, writer.counts);
  result.durationMs = Math.round(performance.now() - started);
  return result;

  /**
   * Queues the files never read before, in import order, to be read and parsed on worker threads; the rest
   * (resumed, folded with legacy rows, whole documents, agents without a pure line parser) are read on this
   * thread. Returns the pool (none for a small import), each queued file's id in it, and `queueMore`, which
   * queues the next ones as the pool has room: files are queued a window at a time, so what the pool and the
   * map hold stays the same whatever the number of files (queued all at once, the 16,333 files of the 5× bench
   * tree held about 2 MB of jobs and map entries until they were read).
   */
  function queueFreshFiles(): {
    pool: ParsePool | null;
    pooled: Map<TranscriptFile, number>;
    queueMore: () => void;
  } {
    const fresh: (TranscriptFile | undefined)[] = files.filter(
      (f) =>
        !seen.has(f.path) &&
        poolable(f.agent) &&
        f.agent.readsWhole?.(f) !== true &&
        f.agent.isDatabase?.(f.path) !== true &&
        legacyPending(f) === null,
    );
    const freshBytes = fresh.reduce((sum, f) => sum + f!.size, 0);
    const workers = options.parseWorkers ?? parseWorkerCount(freshBytes);
    // A large first import builds the indexes no import lookup needs once, at its end; a large import's WAL is
    // copied back by a helper thread as it grows (see local-store).
    if (freshBytes >= POOL_MIN_BYTES) {
      store.deferTurnIndexes();
      store.checkpointWhileImporting();
    }
    const pooled = new Map<TranscriptFile, number>();
    const none = { pool: null, pooled, queueMore: () => {} };
    if (workers === 0 || fresh.length === 0) return none;
    let pool: ParsePool | null = null;
    try {
      const started = new ParsePool(workers);
      pool = started;
      let next = 0;
      const queueMore = () => {
        for (let room = started.room; room > 0 && next < fresh.length; room--) {
          const f = fresh[next]!;
          fresh[next++] = undefined;
          pooled.set(f, started.submit(f.agent, f.path, f.size));
        }
      };
      queueMore();
      return { pool, pooled, queueMore };
    } catch {
      // No worker threads here (a restricted runtime): parse on this thread.
      pool?.close();
      pooled.clear();
      return none;
    }
  }

  /**
   * Imports a new or changed file into the open group, or a large one in a transaction of its own (`known`: it
   * has a cursor). A file that fails is rolled back alone, its counts with it, and reported; a locked database
   * stops the import.
   */
  function importOrReportFailure(file: TranscriptFile, known: boolean): void {
    const countsBefore = { ...writer.counts };
    const tally = emptyTally();
    try {
      const cursor = known ? cursors.get(file.path) : undefined;
      if (file.size >= OWN_TRANSACTION_BYTES) {
        store.commitGroup();
        groupBytes = 0;
        importFile(file, cursor, tally);
      } else {
        store.beginGroup();
        groupBytes += importFile(file, cursor, tally);
      }
      addTally(result, tally);
      if (groupBytes >= GROUP_BYTES) {
        store.commitGroup();
        groupBytes = 0;
      }
    } catch (error) {
      // A locked database is not a bad file: stop and let the caller report it.
      const code = sqliteCode(error);
      if (code !== null && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) throw error;
      // What a worker still holds of the file is skipped.
      const id = pooled.get(file);
      if (id !== undefined && pool) pool.discard(id);
      // The file's writes were rolled back: so are its counts.
      writer.forgetWritten();
      Object.assign(writer.counts, countsBefore);
      result.filesFailed.push({
        path: file.path,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Imports one file, as a savepoint of the open group transaction or, with no group open, in a transaction of its
   * own (`TranscriptImport.inFile`); returns the bytes read.
   */
  function importFile(file: TranscriptFile, cursor: ImportCursor | undefined, tally: FileTally): number {
    let offset = 0;
    let lineCount = 0;
    let state: unknown;
    let malformedInFile = 0;
    // A file with legacy rows to fold is read whole: the fold needs every line's message.
    const legacyName = legacyPending(file);
    // A JSON document rewritten by its agent is read from the start each time it changed (rows are upserted).
    const whole = file.agent.readsWhole?.(file) === true;
    // An agent's database is read whole too (its documents are upserted), through the adapter.
    const database = file.agent.isDatabase?.(file.path) === true;
    if (cursor && legacyName === null && !whole && !database) {
      const sameHead =
        cursor.byteOffset === 0 ||
        (file.size >= cursor.byteOffset && fingerprint(file.path, cursor.byteOffset) === cursor.headHash);
      if (sameHead) {
        offset = cursor.byteOffset;
        lineCount = cursor.lineCount;
        malformedInFile = cursor.malformedLines;
        try {
          state = cursor.state ? JSON.parse(cursor.state) : undefined;
        } catch {
          // An unreadable parser state: read the file again from the start (idempotent).
          offset = 0;
          lineCount = 0;
          malformedInFile = 0;
          state = undefined;
          tally.filesReread++;
        }
      } else {
        tally.filesReread++;
      }
      if (sameHead && offset >= file.size) {
        // Touched but nothing new: remember the new mtime so the next run skips it cheaply.
        cursors.save(
          { ...cursor, source: file.agent.id, size: file.size, mtimeMs: file.mtimeMs },
          options.now,
        );
        tally.filesUnchanged++;
        return 0;
      }
    }

    const bytes = store.inFile(() => {
      const sessions = new Set<string>();
      const flush = (batch: RecordBatch) => {
        for (const id of batch.sessions.keys()) sessions.add(id);
        for (const t of batch.turns.values()) if (t.isSidechain) withSidechains.add(t.sessionId);
        writer.write(batch);
      };
      let lineAt = 0;
      const malformed = (line: number, reason: string) => {
        malformedInFile++;
        tally.malformedLines++;
        if (result.malformed.length + tally.malformed.length < MAX_REPORTED)
          tally.malformed.push({ path: file.path, line, reason });
      };
      const lineReport: LineReport = {
        malformed: (reason) => malformed(lineAt, reason),
        usageNotCompact: () => {
          tally.usageLinesNotCompact++;
        },
      };
      const onTooLong = (l: TooLongLine) => {
        tally.linesRead++;
        malformed(
          l.line,
          `line of ${l.bytes} bytes is above the ${MAX_LINE_BYTES / 1024 / 1024} MiB line limit`,
        );
      };
      const reader = file.agent.openFile(file, {
        state,
        resumed: offset > 0,
        lookup: writer.resumeLookup(),
        batchSize: options.batchSize,
        collectLegacyLines: legacyName !== null,
      });
      /** After each line: a full batch is written. */
      const afterLine = (end: number) => {
        if (reader.batch.size >= options.batchSize) {
          flush(reader.takeBatch());
          report(file.path, end);
        }
      };
      const unreadable = (line: number, error: unknown) => {
        const name = error instanceof Error ? error.name : typeof error;
        malformed(
          line,
          `could not be read (${name}${error instanceof RangeError ? `: ${error.message}` : ''})`,
        );
      };
      const onLine = ({ text, line, end }: { text: string; line: number; end: number }) => {
        tally.linesRead++;
        lineAt = line;
        // Anything reading the line throws (a value the parser did not expect, a string too long to join)
        // makes that line malformed, never the file; a database error (the reader looks up earlier turns) is
        // not the line's fault, and fails the file. Writing is outside.
        try {
          reader.readLine(wellFormedLine(text), line, lineReport);
        } catch (error) {
          if (sqliteCode(error) !== null) throw error;
          unreadable(line, error);
          return;
        }
        afterLine(end);
      };
      const pooledId = pooled.get(file);
      let headHash: string | null | undefined;
      let read: { offset: number; line: number; size: number };
      if (pool && pooledId !== undefined && reader.readParsed && pool.answers(pooledId)) {
        const readParsed = reader.readParsed.bind(reader);
        const done = pool.file(pooledId).consume((lines, visited) => {
          tally.linesRead += visited;
          for (const [line, end, parsed] of lines) {
            const p = parsed as { kind?: unknown; bytes?: number; name?: string; message?: string | null };
            if (p !== null && p.kind === 'tooLong') {
              malformed(
                line,
                `line of ${p.bytes} bytes is above the ${MAX_LINE_BYTES / 1024 / 1024} MiB line limit`,
              );
              continue;
            }
            if (p !== null && p.kind === 'threw') {
              malformed(line, `could not be read (${p.name}${p.message ? `: ${p.message}` : ''})`);
              continue;
            }
            lineAt = line;
            try {
              readParsed(parsed, line, lineReport);
            } catch (error) {
              if (sqliteCode(error) !== null) throw error;
              unreadable(line, error);
              continue;
            }
            afterLine(end);
          }
        });
        headHash = done.headHash;
        read = done;
      } else {
        // A file queued to a worker that no longer answers (or whose reader takes only text) is read here;
        // whatever the worker still sends for it is skipped.
        if (pool && pooledId !== undefined) pool.discard(pooledId);
        read = database
          ? readDatabaseDocuments(file, onLine)
          : whole
            ? readWholeFile(file.path, onLine, onTooLong)
            : readLinesFrom(file.path, offset, lineCount, onLine, isCompleteJson, { onTooLong });
      }
      flush(reader.takeBatch());
      const newState = reader.state();
      if (legacyName !== null) {
        const folded = legacy.fold(legacyName, reader.legacyLines?.() ?? new Map());
        tally.legacyTurnsFolded += folded.turns;
        tally.legacyCommitsFolded += folded.commits;
        tally.legacySessionsFolded += folded.sessions;
      }
      tally.bytesRead += read.offset - offset;
      cursors.save(
        {
          path: file.path,
          source: file.agent.id,
          size: read.size,
          mtimeMs: file.mtimeMs,
          byteOffset: read.offset,
          lineCount: read.line,
          headHash: database ? null : headHash !== undefined ? headHash : fingerprint(file.path, read.offset),
          sessionId: sessions.size === 1 ? [...sessions][0]! : null,
          state: JSON.stringify(newState),
          malformedLines: malformedInFile,
        },
        options.now,
      );
      return read.offset - offset;
    });
    tally.filesRead++;
    return bytes;
  }
}

/** Hands each document of an agent's database to `onLine` as one line; the whole file counts as read. */
function readDatabaseDocuments(
  file: TranscriptFile,
  onLine: (line: { text: string; line: number; end: number }) => void,
): { offset: number; line: number; size: number } {
  const documents = file.agent.readDatabase?.(file);
  if (!documents) throw new Error(`${file.agent.displayName} has no database reader`);
  let line = 0;
  for (const text of documents) {
    line++;
    onLine({ text, line, end: 0 });
  }
  return { offset: file.size, line, size: file.size };
}
