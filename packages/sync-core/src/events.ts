/** What a push and a pull report, and the events the engine emits while it runs. */
import type { SyncError } from './errors.js';
import type { DeadLetter } from './ports.js';
import type { SyncInput, SyncState } from './state-machine.js';

export interface PushReport {
  /** Requests that reached an outcome (split batches count each part). */
  batches: number;
  /** Records sent in requests that reached an outcome. */
  records: number;
  bytes: number;
  accepted: number;
  rejected: number;
  deadLettered: number;
  /** Records sent whose outcome the server did not report; they stay pending. */
  unresolved: number;
}

export interface PullReport {
  pages: number;
  records: number;
  bytes: number;
  applied: number;
  keptLocal: number;
  /** Cursor stored at the end. */
  cursor: number;
  /** True when the server's purge watermark forced a full resync. */
  fullResync: boolean;
}

export type SyncEvent =
  | { type: 'state'; from: SyncState; to: SyncState; input: SyncInput }
  | {
      type: 'pushProgress';
      /** This request. */
      batchRecords: number;
      batchBytes: number;
      accepted: number;
      rejected: number;
      /** Totals of the running push. */
      pushedRecords: number;
      pushedBytes: number;
    }
  | {
      type: 'pullProgress';
      records: number;
      bytes: number;
      cursor: number;
      pulledRecords: number;
      pulledBytes: number;
    }
  | { type: 'fullResync'; phase: 'start' | 'finish'; cursor: number; oldestRetainedSeq: number }
  | { type: 'deadLettered'; letters: DeadLetter[] }
  | { type: 'retryScheduled'; attempt: number; delayMs: number; error: SyncError }
  | { type: 'error'; error: unknown };

export const emptyPushReport = (): PushReport => ({
  batches: 0,
  records: 0,
  bytes: 0,
  accepted: 0,
  rejected: 0,
  deadLettered: 0,
  unresolved: 0,
});

export const emptyPullReport = (cursor: number): PullReport => ({
  pages: 0,
  records: 0,
  bytes: 0,
  applied: 0,
  keptLocal: 0,
  cursor,
  fullResync: false,
});

export function addPull(total: PullReport, part: PullReport): void {
  total.pages += part.pages;
  total.records += part.records;
  total.bytes += part.bytes;
  total.applied += part.applied;
  total.keptLocal += part.keptLocal;
  total.cursor = part.cursor;
  total.fullResync ||= part.fullResync;
}

export function addPush(total: PushReport, part: PushReport): void {
  total.batches += part.batches;
  total.records += part.records;
  total.bytes += part.bytes;
  total.accepted += part.accepted;
  total.rejected += part.rejected;
  total.deadLettered += part.deadLettered;
  total.unresolved += part.unresolved;
}
