/**
 * Reading and parsing transcript files on worker threads while the importing thread assembles and writes.
 *
 * The import stays synchronous for its callers: the importing thread hands each worker its files in import order,
 * and takes a file's parsed lines with `receiveMessageOnPort`, waiting on a shared counter (`Atomics.wait`) when
 * the worker has not posted them yet. Workers run ahead by a bounded number of messages (each holding the parsed
 * lines of at most `CHUNK_BYTES` of transcript), so memory stays bounded whatever the tree's size.
 *
 * Only what is pure moves: splitting lines, making them well-formed, `JSON.parse` and the adapter's reduction of
 * a line to what the store keeps (`AgentAdapter.parseLine`), and the fingerprint of the file's head and tail.
 * Assembly (which may look up stored turns), dedupe and writing stay on the importing thread, in file order.
 */
import { availableParallelism } from 'node:os';
import {
  isMainThread,
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
  workerData,
} from 'node:worker_threads';
import type { AgentAdapter } from './agents/agent.js';
import { AGENTS } from './agents/index.js';
import { fingerprint, isCompleteJson } from './files.js';
import { readLinesFrom } from './lines.js';
import { wellFormedLine } from './text.js';

/** Transcript bytes whose parsed lines travel in one message. */
const CHUNK_BYTES = 256 * 1024;
/** Messages a worker may post before the importing thread took them (bounds memory: about 2 MB of input). */
const MAX_AHEAD = 8;
/**
 * Files handed to a worker before the importing thread has taken the earlier ones. The rest wait here, one small
 * object each: every message waiting in a worker's queue holds about 740 bytes of native memory, and handing all
 * 16,333 files of the 5× bench tree at once held 12 MB until the end (3,277 files of the base tree: 2 MB).
 */
const JOBS_AHEAD = 32;
/**
 * Files queued per worker and not yet taken back that keep the workers busy (`room`): what a caller queues
 * beyond that only waits, and a caller that queues as room frees holds no job for the rest of its files.
 */
const QUEUED_PER_WORKER = 2 * JOBS_AHEAD;
/** Below this much to read, workers cost more to start than they save (a hook's one session). */
export const POOL_MIN_BYTES = 4 * 1024 * 1024;
/** Young generation of each worker's heap, in MB. */
const YOUNG_GENERATION_MB = 4;
/** The most workers one import starts. */
const MAX_WORKERS = 4;

/** A line read by a worker: `[line number, end offset, parsed value]`. */
export type PooledLine = [line: number, end: number, parsed: PooledValue];
/** What the adapter's `parseLine` returned, or why the line could not be read. */
export type PooledValue =
  | { kind: 'tooLong'; bytes: number }
  | { kind: 'threw'; name: string; message: string | null }
  | unknown;

interface Job {
  id: number;
  agent: string;
  path: string;
}

interface ChunkMessage {
  t: 'chunk';
  id: number;
  /** Lines visited in this chunk (including those the adapter skips). */
  visited: number;
  lines: PooledLine[];
}

interface DoneMessage {
  t: 'done';
  id: number;
  visited: number;
  lines: PooledLine[];
  offset: number;
  line: number;
  size: number;
  headHash: string | null;
}

interface FailedMessage {
  t: 'failed';
  id: number;
  error: string;
}

type PoolMessage = ChunkMessage | DoneMessage | FailedMessage;

/** Slots of the shared counters: posted messages per worker, taken messages per worker, then a closed flag. */
function slots(workers: number) {
  return { posted: (w: number) => w, taken: (w: number) => workers + w, closed: 2 * workers };
}

/** How many parse workers an import of this size starts: one per spare core (none on one core). */
export function parseWorkerCount(bytesToRead: number, env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.AGENTLOGS_IMPORT_WORKERS;
  if (forced !== undefined && /^\d+$/.test(forced)) return Math.min(Number(forced), MAX_WORKERS);
  // Run from TypeScript sources (tests), the module cannot be a worker's entry: parse on this thread.
  if (!import.meta.url.endsWith('.js')) return 0;
  if (bytesToRead < POOL_MIN_BYTES) return 0;
  return Math.max(0, Math.min(MAX_WORKERS, availableParallelism() - 1));
}

/** Whether an agent's files can be parsed off the importing thread. */
export function poolable(agent: AgentAdapter): boolean {
  return typeof agent.parseLine === 'function' && AGENTS.some((a) => a.id === agent.id && a.parseLine);
}

/** What the importing thread gets for one file: its lines in order, then where reading stopped. */
export interface PooledFile {
  /** Calls `visit` for each chunk of lines in order; returns the read's end (or throws the worker's error). */
  consume(visit: (lines: PooledLine[], visited: number) => void): {
    offset: number;
    line: number;
    size: number;
    headHash: string | null;
  };
}

export class ParsePool {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly counters: Int32Array;
  private readonly slot: ReturnType<typeof slots>;
  private readonly assigned = new Map<number, number>();
  private readonly queuedBytes: number[];
  /** Per worker, the files submitted in order, the next one to hand it, and how many it holds now. */
  private readonly backlog: (Job | undefined)[][];
  private readonly nextJob: number[];
  private readonly handed: number[];
  private nextId = 0;
  /** Workers that stopped answering: their files are read on the importing thread instead. */
  private readonly silent = new Set<number>();

  constructor(count: number) {
    this.counters = new Int32Array(new SharedArrayBuffer(4 * (2 * count + 1)));
    this.slot = slots(count);
    this.queuedBytes = new Array<number>(count).fill(0);
    this.backlog = Array.from({ length: count }, () => []);
    this.nextJob = new Array<number>(count).fill(0);
    this.handed = new Array<number>(count).fill(0);
    for (let w = 0; w < count; w++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL(import.meta.url), {
        workerData: {
          agentlogsParseWorker: true,
          index: w,
          workers: count,
          counters: this.counters,
          port: port2,
        },
        transferList: [port2],
        // A small young generation: the worker's garbage is short-lived lines; this keeps its heap (and the
        // import's peak RSS) small at the cost of more frequent, cheap scavenges.
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** How many more files to queue now to keep every worker busy (0 when enough wait). */
  get room(): number {
    return Math.max(0, QUEUED_PER_WORKER * this.workers.length - this.assigned.size);
  }

  /** Queues a file (to the least loaded worker); returns its id. Files must be consumed in the order queued. */
  submit(agent: AgentAdapter, path: string, bytes: number): number {
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.queuedBytes[i]! < this.queuedBytes[w]!) w = i;
    const id = this.nextId++;
    this.queuedBytes[w]! += bytes;
    this.assigned.set(id, w);
    this.backlog[w]!.push({ id, agent: agent.id, path });
    this.handOn(w);
    return id;
  }

  /** Hands worker `w` its next files, up to `JOBS_AHEAD` not yet taken back. */
  private handOn(w: number): void {
    const backlog = this.backlog[w]!;
    while (this.handed[w]! < JOBS_AHEAD && this.nextJob[w]! < backlog.length) {
      const at = this.nextJob[w]!++;
      this.ports[w]!.postMessage(backlog[at]);
      // Handed on: the worker's copy is all that is needed.
      backlog[at] = undefined;
      this.handed[w]!++;
    }
    // All handed on: the backlog starts again rather than growing by one empty slot per file.
    if (this.nextJob[w] === backlog.length) {
      backlog.length = 0;
      this.nextJob[w] = 0;
    }
  }

  /** A file of worker `w` was taken back whole (or failed): the worker gets its next one. */
  private finished(id: number, w: number): void {
    this.assigned.delete(id);
    this.handed[w]!--;
    this.handOn(w);
  }

  /** Whether the worker holding file `id` still answers (else the caller reads the file itself). */
  answers(id: number): boolean {
    const w = this.assigned.get(id);
    return w !== undefined && !this.silent.has(w);
  }

  /** The file queued as `id` (the next one not yet consumed on its worker). */
  file(id: number): PooledFile {
    const w = this.assigned.get(id);
    if (w === undefined) throw new Error(`file ${id} was not queued`);
    return {
      consume: (visit) => {
        for (;;) {
          const message = this.take(w);
          if (message.id !== id) throw new Error(`parse worker answered file ${message.id}, expected ${id}`);
          if (message.t === 'failed') {
            this.finished(id, w);
            throw new Error(message.error);
          }
          if (message.lines.length > 0 || message.visited > 0) visit(message.lines, message.visited);
          if (message.t === 'done') {
            this.finished(id, w);
            return {
              offset: message.offset,
              line: message.line,
              size: message.size,
              headHash: message.headHash,
            };
          }
        }
      },
    };
  }

  /** Skips what a worker sends for a file the import will not read (after a failure of the file). */
  discard(id: number): void {
    if (!this.answers(id)) return;
    try {
      this.file(id).consume(() => {});
    } catch {
      // The file's read failed too: nothing more to skip.
    }
  }

  private take(w: number): PoolMessage {
    const port = this.ports[w]!;
    const posted = this.slot.posted(w);
    for (;;) {
      const seen = Atomics.load(this.counters, posted);
      const received = receiveMessageOnPort(port);
      if (received) {
        Atomics.add(this.counters, this.slot.taken(w), 1);
        Atomics.notify(this.counters, this.slot.taken(w));
        return received.message as PoolMessage;
      }
      // A worker that died without answering (out of memory) would leave this waiting: give up after a minute
      // of silence, the file then fails and the import goes on.
      if (Atomics.wait(this.counters, posted, seen, 60_000) === 'timed-out') {
        this.silent.add(w);
        throw new Error('the parse worker stopped answering; run the import again');
      }
    }
  }

  /** Stops the workers (also when the import stopped early). */
  close(): void {
    Atomics.store(this.counters, this.slot.closed, 1);
    for (let w = 0; w < this.workers.length; w++) Atomics.notify(this.counters, this.slot.taken(w));
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }
}

/** The worker's side: reads each queued file, posting its parsed lines in chunks, never far ahead. */
function serveParseJobs(data: {
  index: number;
  workers: number;
  counters: Int32Array;
  port: MessagePort;
}): void {
  const { index, counters, port } = data;
  const slot = slots(data.workers);
  const post = (message: PoolMessage) => {
    // Wait while the importing thread has not taken enough of what was posted (or the import ended).
    for (;;) {
      if (Atomics.load(counters, slot.closed) === 1) return false;
      const taken = Atomics.load(counters, slot.taken(index));
      if (Atomics.load(counters, slot.posted(index)) - taken < MAX_AHEAD) break;
      Atomics.wait(counters, slot.taken(index), taken, 1000);
    }
    port.postMessage(message);
    Atomics.add(counters, slot.posted(index), 1);
    Atomics.notify(counters, slot.posted(index));
    return true;
  };
  port.on('message', (job: Job) => {
    if (Atomics.load(counters, slot.closed) === 1) return;
    try {
      const agent = AGENTS.find((a) => a.id === job.agent);
      const parseLine = agent?.parseLine;
      if (!parseLine) throw new Error(`${job.agent} lines cannot be parsed off the importing thread`);
      let lines: PooledLine[] = [];
      let visited = 0;
      let bytes = 0;
      let open = true;
      const flushIfFull = (end: number, start: number) => {
        bytes += end - start;
        if (bytes >= CHUNK_BYTES && open) {
          open = post({ t: 'chunk', id: job.id, visited, lines });
          lines = [];
          visited = 0;
          bytes = 0;
        }
      };
      let lastEnd = 0;
      const read = readLinesFrom(
        job.path,
        0,
        0,
        ({ text, line, end }) => {
          visited++;
          let parsed: unknown;
          try {
            parsed = parseLine(wellFormedLine(text));
          } catch (error) {
            parsed = {
              kind: 'threw',
              name: error instanceof Error ? error.name : typeof error,
              message: error instanceof RangeError ? error.message : null,
            };
          }
          if (parsed !== null) lines.push([line, end, parsed]);
          flushIfFull(end, lastEnd);
          lastEnd = end;
        },
        isCompleteJson,
        {
          onTooLong: ({ line, bytes: size, end }) => {
            visited++;
            lines.push([line, end, { kind: 'tooLong', bytes: size }]);
            flushIfFull(end, lastEnd);
            lastEnd = end;
          },
        },
      );
      if (!open) return;
      post({
        t: 'done',
        id: job.id,
        visited,
        lines,
        offset: read.offset,
        line: read.line,
        size: read.size,
        headHash: fingerprint(job.path, read.offset),
      });
    } catch (error) {
      post({ t: 'failed', id: job.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
}

if (!isMainThread && (workerData as { agentlogsParseWorker?: boolean } | null)?.agentlogsParseWorker === true)
  serveParseJobs(workerData);
