/**
 * Importing named transcript files rather than whole folders: what a hook that an agent runs at the end of a
 * session needs (one session, at once, without listing every folder). The same pipeline and incremental rules
 * as `importTranscripts`; only discovery differs.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type FolderListing,
  type ImportCursors,
  rowId,
  type StoreConnection,
  sqliteOf,
  TranscriptImport,
} from '@agentlogs/local-store';
import type { AgentAdapter } from './agents/agent.js';
import { sortSessionFoldersFirst } from './files.js';
import type { ImportOptions } from './import.js';
import { type ImportResult, runImport } from './pipeline.js';

/** Files of one agent to import, and the root folder they lie under (some agents name sessions by it). */
export interface FileSet {
  agent: AgentAdapter;
  root: string;
  /** In import order. */
  paths: string[];
}

export interface FileImportOptions
  extends Omit<ImportOptions, 'roots' | 'onProgress' | 'onListing' | 'batchSize'> {
  files: FileSet[];
  batchSize?: number;
  /** Search indexing and the WAL checkpoint left to the next writer (`TranscriptImportOptions.deferred`). */
  deferred?: boolean;
}

/**
 * Imports exactly the given files (those that exist) into the local store: incremental by file like
 * `importTranscripts`, so a file imported before is read from where the last import stopped.
 */
export function importTranscriptFiles(store: StoreConnection, options: FileImportOptions): ImportResult {
  const now = (options.now ?? (() => new Date()))().toISOString();
  const deviceId = options.deviceId;
  const machineId = options.machineId ?? rowId.machine(deviceId);
  const run = new TranscriptImport(sqliteOf(store), {
    deviceId,
    machineId,
    now,
    deferred: options.deferred,
    prices: options.prices,
  });
  const named = options.files.flatMap((f) => f.paths);
  // No folder is listed, and only the named files' cursors matter: the run reads those instead of every
  // cursor and folder listing of the database, so its cost does not grow with the database.
  const cursors = Object.create(run.cursors) as ImportCursors;
  cursors.folderListings = () => new Map<string, FolderListing>();
  cursors.sizes = () => {
    const seen = new Map<string, [size: number, mtimeMs: number]>();
    for (const path of named) {
      const cursor = run.cursors.get(path);
      if (cursor) seen.set(path, [cursor.size, cursor.mtimeMs]);
    }
    return seen;
  };
  const narrowed = Object.create(run, { cursors: { value: cursors } }) as TranscriptImport;
  return runImport(narrowed, {
    agents: options.files.map(({ agent, root, paths }) => ({
      agent: { ...agent, listFiles: () => paths },
      roots: [root],
    })),
    machine: options.machine,
    signal: options.signal,
    now,
    batchSize: options.batchSize ?? 2000,
  });
}

function jsonlUnder(dir: string, out: string[]): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) jsonlUnder(path, out);
    else if (e.isFile() && e.name.endsWith('.jsonl')) out.push(path);
  }
}

/**
 * The files of the Claude Code session whose transcript is `transcriptPath`
 * (`<projects>/<project>/<session>.jsonl`): its subagent files (`<session>/subagents/agent-*.jsonl`) first,
 * then the transcript, the order a whole-folder import uses. The root is the `projects` folder.
 */
export function claudeSessionFiles(transcriptPath: string): { root: string; paths: string[] } {
  const folder = join(dirname(transcriptPath), basename(transcriptPath, '.jsonl'));
  const paths: string[] = [];
  jsonlUnder(folder, paths);
  paths.push(transcriptPath);
  sortSessionFoldersFirst(paths);
  return { root: dirname(dirname(transcriptPath)), paths };
}
