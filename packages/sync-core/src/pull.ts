/**
 * The pull side: the page loop from the stored cursor, and the forced full resync when the server purged
 * tombstones this store may still hold live copies of. Both share one page loop.
 */
import { throwIfAborted } from './abort.js';
import { callRemote } from './call.js';
import { SyncNetworkError, SyncProtocolError } from './errors.js';
import { emptyPullReport, type PullReport, type SyncEvent } from './events.js';
import type { AbortSignalLike, LocalStore, PullPage, Remote, ServerRecord } from './ports.js';
import { recordByteSize } from './size.js';

export interface PullLoopOptions {
  store: LocalStore;
  remote: Remote;
  tables: readonly string[];
  /** Records per page. */
  limit: number;
  emit: (event: SyncEvent) => void;
}

/** Most consecutive pull pages that may fail to advance the cursor before the server is declared broken. */
const MAX_STALLED_PAGES = 10;

export class PullLoop {
  private readonly options: PullLoopOptions;

  constructor(options: PullLoopOptions) {
    this.options = options;
  }

  /** Downloads everything after the stored cursor (or everything, when the server forces a full resync). */
  async run(signal?: AbortSignalLike): Promise<PullReport> {
    const cursor = await this.options.store.getCursor();
    const report = emptyPullReport(cursor);
    const page = await this.fetchPage(cursor, signal);
    if (await this.missedPurges(cursor, page.oldestRetainedSeq)) {
      return this.fullResync(signal, report, page.oldestRetainedSeq);
    }
    await this.drainPages(page, cursor, report, true, signal);
    return report;
  }

  /**
   * Downloads everything from cursor 0 without storing a cursor, drops what the server no longer has,
   * then stores the cursor. Interrupted, it leaves the old (too old) cursor, so it is detected again.
   */
  async fullResync(
    signal: AbortSignalLike | undefined,
    report: PullReport,
    oldestRetainedSeq: number,
  ): Promise<PullReport> {
    const { store, emit } = this.options;
    report.fullResync = true;
    emit({ type: 'fullResync', phase: 'start', cursor: report.cursor, oldestRetainedSeq });
    await store.beginFullResync();
    throwIfAborted(signal);
    const first = await this.fetchPage(0, signal);
    const cursor = await this.drainPages(first, 0, report, false, signal);
    await store.finishFullResync();
    await store.applyServerRecords([], cursor);
    report.cursor = cursor;
    emit({ type: 'fullResync', phase: 'finish', cursor, oldestRetainedSeq });
    return report;
  }

  private fetchPage(cursor: number, signal?: AbortSignalLike): Promise<PullPage> {
    const { remote, limit } = this.options;
    return callRemote((s) => remote.pull({ cursor, limit }, { signal: s }), signal);
  }

  /**
   * Applies `first` and the pages after it until the server has no more, counting them in `report`; returns the
   * cursor reached. `storeCursor`: each page's cursor is stored with it (a full resync stores it at the end).
   */
  private async drainPages(
    first: PullPage,
    from: number,
    report: PullReport,
    storeCursor: boolean,
    signal?: AbortSignalLike,
  ): Promise<number> {
    let page = first;
    let cursor = from;
    let stalled = 0;
    for (;;) {
      checkPage(page, cursor);
      const next = page.nextCursor;
      const applied = await this.options.store.applyServerRecords(
        page.records,
        storeCursor ? next : undefined,
      );
      this.countPage(report, page.records, applied.applied, applied.keptLocal, next);
      stalled = next > cursor || page.records.length > 0 ? 0 : stalled + 1;
      cursor = next;
      if (!page.hasMore) return cursor;
      if (stalled >= MAX_STALLED_PAGES) {
        throw new SyncProtocolError('the server keeps reporting more records without advancing the cursor');
      }
      throwIfAborted(signal);
      page = await this.fetchPage(cursor, signal);
    }
  }

  /**
   * True when tombstones this store may hold live copies of were purged: the cursor is below the purge
   * watermark and the store holds acknowledged records. Cursor 0 with acknowledged records happens to a
   * machine that pushed but never pulled; an empty store just pulls (keeping the download resumable).
   */
  private async missedPurges(cursor: number, watermark: number): Promise<boolean> {
    if (cursor >= watermark) return false;
    if (cursor > 0) return true;
    const { store, tables } = this.options;
    const held = (await store.summarize(tables)).reduce((sum, s) => sum + s.count + s.deleted, 0);
    if (held === 0) return false;
    const pending = Object.values(await store.pendingCounts(tables)).reduce((sum, n) => sum + n, 0);
    const parked = (await store.listDeadLetters()).length;
    return held - pending - parked > 0;
  }

  private countPage(
    report: PullReport,
    records: ServerRecord[],
    applied: number,
    keptLocal: number,
    cursor: number,
  ): void {
    let bytes = 0;
    for (const record of records) bytes += recordByteSize(record);
    report.pages += 1;
    report.records += records.length;
    report.bytes += bytes;
    report.applied += applied;
    report.keptLocal += keptLocal;
    report.cursor = cursor;
    this.options.emit({
      type: 'pullProgress',
      records: records.length,
      bytes,
      cursor,
      pulledRecords: report.records,
      pulledBytes: report.bytes,
    });
  }
}

/**
 * A page must answer the request it was sent for: every record after the requested cursor, ascending,
 * and `nextCursor` at the last record (or at the requested cursor when empty). Anything else is a
 * stale or misrouted response; applying it could end a full resync early, so it is retried instead.
 */
function checkPage(page: PullPage, requested: number): void {
  if (
    !Array.isArray(page.records) ||
    typeof page.nextCursor !== 'number' ||
    typeof page.hasMore !== 'boolean'
  ) {
    throw new SyncProtocolError('malformed pull page');
  }
  let previous = requested;
  for (const record of page.records) {
    if (!(record.changeSeq > previous)) {
      throw new SyncNetworkError(`pull response does not answer the request for cursor ${requested}`);
    }
    previous = record.changeSeq;
  }
  if (page.nextCursor !== previous) {
    throw new SyncNetworkError(`pull response does not answer the request for cursor ${requested}`);
  }
}
