/**
 * What the import pipeline needs of one coding agent: where its transcripts live, which files are transcripts,
 * and how to turn a file's lines into records. An adapter only parses; the pipeline (`../pipeline.ts`) finds
 * files, reads lines, batches, reports progress and writes through the local store.
 */
import type { LegacyLine, RecordBatch, Source, StoredTurnLookup } from '@agentlogs/local-store';
import type { AgentRootSpec } from './catalog.js';

/** One transcript file found under an agent's root. */
export interface TranscriptFile {
  path: string;
  /** The root folder it was found under. */
  root: string;
  size: number;
  mtimeMs: number;
  agent: AgentAdapter;
}

/** Lists the folders under a root (reusing the listings of folders that did not change since the last import). */
export interface FolderWalker {
  /** Every `.jsonl` file under `root`, in listing order. */
  jsonlFiles(root: string): string[];
  /** Every file under `root` whose name ends with one of `suffixes` (`.jsonl`, `.json`), in listing order. */
  files(root: string, suffixes: readonly string[]): string[];
}

/** Where a reader reports what it found wrong or notable on a line. */
export interface LineReport {
  malformed(reason: string): void;
  /** A line carrying usage written as `"usage": {` (with a space), which ccusage 20 does not read. */
  usageNotCompact(): void;
}

/** What opening a file gives its reader. */
export interface OpenFileContext {
  /** The parser state stored at the end of the last read (parsed JSON), or undefined on a first read. */
  state: unknown;
  /** Whether reading resumes at a byte offset (earlier lines are in the store). */
  resumed: boolean;
  /** Turns already stored, for merging a resumed file's lines into them. */
  lookup: StoredTurnLookup;
  /** Turns per write batch. */
  batchSize: number;
  /** Collect every line's message for folding an earlier release's rows (see `AgentAdapter.legacyFileName`). */
  collectLegacyLines: boolean;
}

/** Reads one file's lines in order, building records into `batch`. */
export interface TranscriptReader {
  /** Records built so far and not yet taken. */
  readonly batch: RecordBatch;
  /** Reads one line (already made well-formed text). Throwing makes the line malformed, not the file. */
  readLine(text: string, line: number, report: LineReport): void;
  /**
   * Reads one line already parsed by the adapter's `parseLine` (on a worker thread): the same as `readLine` of
   * its text. Present exactly when the adapter has `parseLine`.
   */
  readParsed?(parsed: unknown, line: number, report: LineReport): void;
  /** Takes the records built so far (for writing), leaving what later lines still need. */
  takeBatch(): RecordBatch;
  /** The parser state to resume from next time (stored as JSON). */
  state(): unknown;
  /** With `collectLegacyLines`: the lines read, by line uuid. */
  legacyLines?(): ReadonlyMap<string, LegacyLine>;
}

export interface AgentAdapter {
  /** The `source` written on its sessions and cursors. */
  readonly id: Source;
  readonly displayName: string;
  /** Where its transcripts live: default folders per platform, environment variable, `--<agent>-dir` option. */
  readonly roots: AgentRootSpec;
  /** Its transcript files under one root, in the order they are imported. */
  listFiles(root: string, folders: FolderWalker): string[];
  openFile(file: TranscriptFile, context: OpenFileContext): TranscriptReader;
  /**
   * The pure half of reading a line (well-formed text in, a structured-cloneable value out, null for a line the
   * reader skips): run on a worker thread during large imports, its result handed to `readParsed`. It must not
   * depend on the file's earlier lines or on the store. Throwing makes the line malformed.
   */
  parseLine?(text: string): unknown;
  /**
   * Whether a file is one JSON document that the agent rewrites whole (not lines it appends): the pipeline then
   * reads it from the start whenever it changed and hands the reader its whole text as line 1.
   */
  readsWhole?(file: TranscriptFile): boolean;
  /**
   * Whether a file is a SQLite database the agent keeps its sessions in, not text: the pipeline reads it through
   * `readDatabase`, whole, whenever it or its write-ahead log (`<file>-wal`) changed.
   */
  isDatabase?(path: string): boolean;
  /**
   * The documents of a database file, in order, each handed to the reader's `readLine` as one line (read-only,
   * through the local store's `AgentDatabase`). Throwing fails the file, never the import.
   */
  readDatabase?(file: TranscriptFile): Iterable<string>;
  /**
   * The file name under which an earlier agentlogs release stored this file's session, when that release read
   * this agent: its rows are folded into the imported ones (docs/decisions/0014-adopting-legacy-databases.md).
   */
  legacyFileName?(file: TranscriptFile): string;
}
