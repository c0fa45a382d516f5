import {
  rowId,
  type StoreConnection,
  sqliteOf,
  TranscriptImport,
  type UsagePrices,
} from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptFile } from './agents/agent.js';
import type { AgentId } from './agents/catalog.js';
import { AGENTS } from './agents/index.js';
import { discoverFiles, type FolderLister } from './files.js';
import { type ImportProgress, type ImportResult, runImport } from './pipeline.js';

export { isCompleteJson } from './files.js';
export type { FileFailure, ImportProgress, ImportResult, MalformedLineReport } from './pipeline.js';

export interface ImportOptions {
  /**
   * The transcript folders of each agent, by agent id (see `resolveAgentRoots`); an agent left out is not read.
   * `{ claude_code: [...], codex: [...] }`.
   */
  roots: AgentRoots;
  /** This device's id: written as `device_id` on every row this import writes. */
  deviceId: string;
  /** Origin machine id for new rows (default: the `machines` row id derived from `deviceId`). */
  machineId?: string;
  /** This machine's description, recorded in `machines` (name defaults to the hostname). */
  machine?: { name: string; hostname: string; platform: string };
  /** Progress after each file (and within large files). */
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Called once before the agents' folders are listed, with whether the store keeps no folder listing yet: a
   * first import then reads every folder and stats every file before it reads any, while a later one stats
   * them and reads what changed.
   */
  onListing?: (firstListing: boolean) => void;
  /** Stops after the file in flight. */
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
  /** Turns per write batch inside one file's transaction (default 2000). */
  batchSize?: number;
  /**
   * Worker threads that read and parse new files (default: one per spare core when there is enough to read;
   * 0 parses on the importing thread). See `parseWorkerCount`.
   */
  parseWorkers?: number;
  /**
   * The prices `stats` reads with (its price table): given, an import that changed turns rebuilds the usage
   * rollup at its end, so the next `stats` or dashboard does not. Left out, the next reader rebuilds it.
   */
  prices?: UsagePrices;
}

/** Transcript folders by agent id. */
export type AgentRoots = Partial<Record<AgentId, readonly string[]>>;

/** The registered agents with their folders, in import order (agents without folders left out). */
export function agentsWithRoots(roots: AgentRoots): { agent: AgentAdapter; roots: readonly string[] }[] {
  return AGENTS.filter((agent) => (roots[agent.id]?.length ?? 0) > 0).map((agent) => ({
    agent,
    roots: roots[agent.id] ?? [],
  }));
}

/** Every transcript file under the roots, in a stable order (a session's subagent files before it). */
export function findTranscriptFiles(roots: AgentRoots, lister?: FolderLister): TranscriptFile[] {
  return discoverFiles(agentsWithRoots(roots), lister);
}

/**
 * Imports the transcripts of every registered agent (`AGENTS`) found under `roots` into the local store. Incremental by file (size, mtime,
 * byte offset); a file that shrank or was rewritten before its offset is read again from the start (rows are
 * upserted by deterministic id, never deleted). Each file is imported in one transaction; one bad file never
 * aborts the import. Transcripts are opened read-only.
 */
export function importTranscripts(store: StoreConnection, options: ImportOptions): ImportResult {
  const now = (options.now ?? (() => new Date()))().toISOString();
  const deviceId = options.deviceId;
  const machineId = options.machineId ?? rowId.machine(deviceId);
  return runImport(
    new TranscriptImport(sqliteOf(store), { deviceId, machineId, now, prices: options.prices }),
    {
      agents: agentsWithRoots(options.roots),
      machine: options.machine,
      onProgress: options.onProgress,
      onListing: options.onListing,
      signal: options.signal,
      now,
      batchSize: options.batchSize ?? 2000,
      parseWorkers: options.parseWorkers,
    },
  );
}
