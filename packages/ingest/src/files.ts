/** Finding transcript files under the agents' roots, and fingerprinting what was read of one. */
import { createHash } from 'node:crypto';
import { closeSync, type Dirent, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { normalize, sep } from 'node:path';
import type { FolderListing } from '@agentlogs/local-store';
import type { AgentAdapter, FolderWalker, TranscriptFile } from './agents/agent.js';

const HEAD_BYTES = 4096;

/**
 * The files a listing keeps: every agent's transcripts are `.jsonl` or `.json` files. (Listings stored by a
 * release that kept `.jsonl` files only are of Claude Code and Codex folders, whose adapters read nothing else.)
 */
const TRANSCRIPT_FILE = /\.jsonl?$/;

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
export class FolderLister implements FolderWalker {
  /** Listings read in this run (new, changed or racy): to be stored for the next one. */
  readonly listed = new Map<string, FolderListing>();

  constructor(private readonly known: ReadonlyMap<string, FolderListing> = new Map()) {}

  list(dir: string): FolderListing | null {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return null;
    const known = this.known.get(dir);
    if (known && known.mtimeMs === st.mtimeMs && known.listedAtMs - st.mtimeMs > RACY_LISTING_MS)
      return known;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return null;
    }
    const listing: FolderListing = { mtimeMs: st.mtimeMs, listedAtMs: Date.now(), folders: [], files: [] };
    for (const e of entries) {
      if (e.isDirectory()) listing.folders.push(e.name);
      else if (e.isFile() && TRANSCRIPT_FILE.test(e.name)) listing.files.push(e.name);
    }
    this.listed.set(dir, listing);
    return listing;
  }

  jsonlFiles(root: string): string[] {
    return this.files(root, ['.jsonl']);
  }

  files(root: string, suffixes: readonly string[]): string[] {
    const out: string[] = [];
    this.walk(normalize(root), suffixes, out);
    return out;
  }

  /**
   * Collects the files under `dir` (whose path is normalized) whose names end with one of `suffixes`. Child paths
   * are built by concatenation: for a normalized folder and a plain entry name that is what `path.join` returns,
   * at half the cost.
   */
  private walk(dir: string, suffixes: readonly string[], out: string[]): void {
    const listing = this.list(dir);
    if (!listing) return;
    const prefix = dir === '.' ? '' : dir.endsWith(sep) ? dir : dir + sep;
    for (const name of listing.folders) this.walk(prefix + name, suffixes, out);
    for (const name of listing.files) {
      for (const suffix of suffixes) {
        if (name.endsWith(suffix)) {
          out.push(prefix + name);
          break;
        }
      }
    }
  }
}

/**
 * Sorts paths by name, except that a session's folder (`<session>/subagents/agent-*.jsonl`) comes before its
 * file `<session>.jsonl`: a subagent response the parent also copies into `agent_progress` lines is then first
 * stored from the subagent's own file, and the progress copy merges into that turn
 * (docs/decisions/0021-equality-with-ccusage.md).
 */
export function sortSessionFoldersFirst(paths: string[]): void {
  // The keys are sorted as plain strings, without a comparison function: on the path of an import with nothing
  // new (`pnpm bench`). A key ending in `<sep>\uffff` is a `.jsonl` path's (no listed file is named `\uffff`).
  const tail = `${sep}\uffff`;
  const keys = paths.map((p) => (p.endsWith('.jsonl') ? p.slice(0, -6) + tail : p));
  keys.sort();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    paths[i] = k.endsWith(tail) ? `${k.slice(0, -tail.length)}.jsonl` : k;
  }
}

/** Every transcript file of the agents under their roots, in a stable order (a path found twice counts once). */
export function discoverFiles(
  agents: readonly { agent: AgentAdapter; roots: readonly string[] }[],
  lister: FolderLister = new FolderLister(),
): TranscriptFile[] {
  const files: TranscriptFile[] = [];
  const seen = new Set<string>();
  for (const { agent, roots } of agents) {
    for (const root of roots) {
      for (const path of agent.listFiles(root, lister)) {
        if (seen.has(path)) continue;
        seen.add(path);
        // undefined when it vanished between listing and stat: nothing to import
        const st = statSync(path, { throwIfNoEntry: false });
        if (!st?.isFile()) continue;
        let size = st.size;
        let mtimeMs = st.mtimeMs;
        if (agent.isDatabase?.(path)) {
          // A database's recent writes sit in its write-ahead log, which changes without touching the file.
          const wal = statSync(`${path}-wal`, { throwIfNoEntry: false });
          if (wal?.isFile()) {
            size += wal.size;
            mtimeMs = Math.max(mtimeMs, wal.mtimeMs);
          }
        }
        files.push({ path, root, size, mtimeMs: Math.floor(mtimeMs), agent });
      }
    }
  }
  return files;
}

/**
 * A fingerprint of what was imported: hashes of the first 4 KiB and of the 4 KiB that end at `offset`. A file
 * rewritten at its start or around the resume point no longer matches and is read again from the start.
 */
export function fingerprint(path: string, offset: number): string | null {
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
