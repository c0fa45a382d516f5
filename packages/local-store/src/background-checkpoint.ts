/**
 * A large import's WAL, copied back into the database by a connection of its own on a worker thread while the
 * import goes on writing (`pragma wal_checkpoint(PASSIVE)`, which never blocks the writer nor waits for it).
 *
 * An import turns the automatic checkpoint off (one after every group commit copied the same index pages again
 * and again, on the importing thread). Left alone, the WAL then grows to the size of everything written, and
 * the import's end copies all of it back, on the importing thread, with the other core idle. Copied by this
 * helper as it grows, on the core the parse workers leave spare, the end's copy is small and the WAL stays short.
 * Measured by `pnpm bench` (ingest section, first import): see `bench/README.md`.
 */
import { Worker } from 'node:worker_threads';
import { sqliteDriverPath } from './open.js';

/** Slots of the shared flags: stop asked, helper stopped, checkpoints run. */
const STOP = 0;
const STOPPED = 1;
const RUNS = 2;

/** How long the helper waits between two checkpoints (a checkpoint that has nothing to copy costs microseconds). */
const INTERVAL_MS = 100;

/** How long `stop` waits for a checkpoint in flight to end. */
const STOP_WAIT_MS = 30_000;

// CommonJS, evaluated in the worker: better-sqlite3 is resolved from here and passed in.
const HELPER = `
const { workerData } = require('node:worker_threads');
const flags = workerData.flags;
let db = null;
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
  while (Atomics.load(flags, ${STOP}) === 0) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.add(flags, ${RUNS}, 1);
    } catch {
      // Busy (another checkpoint runs) or any other failure: the import's own checkpoint at its end copies the rest.
    }
    Atomics.wait(flags, ${STOP}, 0, workerData.intervalMs);
  }
} catch {
  // Could not open a connection: the import's own checkpoint does all the copying, as without this helper.
} finally {
  try { if (db) db.close(); } catch {}
  Atomics.store(flags, ${STOPPED}, 1);
  Atomics.notify(flags, ${STOPPED});
}
`;

export class BackgroundCheckpointer {
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly flags: Int32Array,
  ) {}

  /**
   * Starts the helper on the database file at `path` (in WAL mode). Returns null where no worker thread can be
   * started (a restricted runtime): the import then copies its WAL at its end, as it would without one.
   */
  static start(path: string): BackgroundCheckpointer | null {
    const flags = new Int32Array(new SharedArrayBuffer(4 * 3));
    try {
      const driver = sqliteDriverPath();
      const worker = new Worker(HELPER, {
        eval: true,
        workerData: { driver, path, flags, intervalMs: INTERVAL_MS },
      });
      worker.unref();
      // A failure inside the helper only means fewer checkpoints; never an unhandled 'error' event.
      worker.on('error', () => {});
      return new BackgroundCheckpointer(worker, flags);
    } catch {
      return null;
    }
  }

  /** Checkpoints the helper has run so far. */
  get runs(): number {
    return Atomics.load(this.flags, RUNS);
  }

  /**
   * Stops the helper and waits (on this thread) until its connection is closed: after this, no checkpoint of
   * it runs. Idempotent. Returns the number of checkpoints it ran.
   */
  stop(): number {
    if (!this.stopped) {
      this.stopped = true;
      Atomics.store(this.flags, STOP, 1);
      Atomics.notify(this.flags, STOP);
      // The helper notices at once unless a checkpoint is in flight; it then stops when that one ends.
      const deadline = Date.now() + STOP_WAIT_MS;
      while (Atomics.load(this.flags, STOPPED) === 0 && Date.now() < deadline)
        Atomics.wait(this.flags, STOPPED, 0, 50);
      void this.worker.terminate();
    }
    return this.runs;
  }
}
