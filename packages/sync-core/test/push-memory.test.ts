/**
 * What one push holds in memory does not grow with the size of the upload: the writes it remembers, the own
 * seqs the cursor has not passed, and the records it reads from the outbox.
 */
import { describe, expect, it } from 'vitest';
import { type AcceptedRecord, SyncEngine, type SyncRecord } from '../src/index.js';
import { SeqRuns } from '../src/push.js';
import { MemoryLocalStore, MemoryRemote, MemoryServer } from '../src/testing/index.js';

const TABLES = ['sessions', 'turns'];

/** The reference store, with what each outbox read returned and what it was asked to skip. */
class CountingStore extends MemoryLocalStore {
  reads: { returned: number; skipped: number }[] = [];
  override async pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
    skip?: (table: string, id: string) => boolean;
  }): Promise<SyncRecord[]> {
    let skipped = 0;
    const skip = options.skip
      ? (table: string, id: string) => {
          const yes = options.skip?.(table, id) === true;
          if (yes) skipped += 1;
          return yes;
        }
      : undefined;
    const records = await super.pendingChanges({ ...options, skip });
    this.reads.push({ returned: records.length, skipped });
    return records;
  }
}

/** A store whose `markPushed` does nothing: accepted records stay pending. */
class ForgetfulStore extends MemoryLocalStore {
  override async markPushed(_accepted: AcceptedRecord[]): Promise<void> {}
}

function fill(store: MemoryLocalStore, turns: number): void {
  store.write('sessions', 's-1', { title: 'first' });
  for (let i = 0; i < turns; i++) store.write('turns', `t-${String(i).padStart(5, '0')}`, { n: i });
}

describe('a push in bounded memory', () => {
  it('reads at most pushConcurrency batches at a time, skipping the in-flight records instead of reading them again', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const store = new CountingStore({ deviceId: 'device-a' });
    fill(store, 999);
    const engine = new SyncEngine({
      store,
      remote: new MemoryRemote(server, 'user-1'),
      tables: TABLES,
      batchSize: 50,
      pushConcurrency: 3,
    });
    const report = await engine.push();
    expect(report).toMatchObject({ records: 1000, accepted: 1000, unresolved: 0 });
    // The lanes overlapped, and the records in flight were skipped by the store, not returned.
    expect(store.reads.some((r) => r.skipped > 0)).toBe(true);
    expect(store.reads.every((r) => r.returned + r.skipped <= 50 * 3)).toBe(true);
  });

  it('a store that does not record accepted writes stops the push instead of sending them again', async () => {
    const server = new MemoryServer({ tables: TABLES });
    const store = new ForgetfulStore({ deviceId: 'device-a' });
    fill(store, 99);
    const engine = new SyncEngine({
      store,
      remote: new MemoryRemote(server, 'user-1'),
      tables: TABLES,
      batchSize: 10,
    });
    const report = await engine.push();
    // The first batches went out once; their records came back pending, so the run stopped there.
    expect(report.records).toBeLessThanOrEqual(20);
    expect(report.unresolved).toBeGreaterThan(0);
  });
});

describe('SeqRuns', () => {
  it('keeps consecutive seqs as one run, in any order, and moves a cursor over the runs that follow it', () => {
    const runs = new SeqRuns();
    for (const seq of [5, 3, 4, 10, 12, 11, 7]) runs.add(seq);
    expect(runs.size).toBe(3); // 3–5, 7, 10–12
    expect(runs.advance(1)).toBe(1); // 2 is missing
    expect(runs.advance(2)).toBe(5);
    expect(runs.size).toBe(2);
    runs.add(6);
    runs.add(8);
    runs.add(9);
    expect(runs.size).toBe(1); // 6–12
    expect(runs.advance(5)).toBe(12);
    expect(runs.size).toBe(0);
  });

  it('holds one run for a long push whose cursor is stuck behind another device’s write', () => {
    const runs = new SeqRuns();
    for (let seq = 2; seq <= 200_000; seq++) runs.add(seq);
    expect(runs.size).toBe(1);
    expect(runs.advance(0)).toBe(0);
    expect(runs.advance(1)).toBe(200_000);
  });
});
