/**
 * The `LocalStore` contract: every adapter runs this suite against itself.
 *
 *   import { describe, it } from 'vitest';
 *   import { runLocalStoreContract } from '@agentlogs/sync-core/testing';
 *   runLocalStoreContract({ describe, it }, async () => ({ store, tables, payload, writeLocal, read, close }));
 */
import { timestampMillis } from '../conflict.js';
import { summarizeRecords } from '../digest.js';
import type { LocalStore, ServerRecord, SyncRecord } from '../ports.js';
import { assertEqual, assertTrue, type TestApi } from './assert.js';

export interface LocalStoreHarness {
  /** A fresh, empty store. */
  store: LocalStore;
  /** At least two synced tables the store holds, parents first. */
  tables: readonly string[];
  /** A payload for a record of `table`, different for each `n`, that the store returns unchanged. */
  payload(table: string, n: number): Record<string, unknown>;
  /** Writes a record exactly as given (envelope and payload) as a local, not yet pushed, edit. */
  writeLocal(record: SyncRecord): Promise<void>;
  /** The stored copy, or null. */
  read(table: string, id: string): Promise<SyncRecord | null>;
  close?(): Promise<void>;
}

export type LocalStoreFactory = () => Promise<LocalStoreHarness>;

/** Deterministic UUID-shaped ids, so stores that require UUIDs accept them. */
export function contractId(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

const DEVICE_A = 'device-a';
const DEVICE_Z = 'device-z';

function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
}

export function runLocalStoreContract(t: TestApi, factory: LocalStoreFactory): void {
  const test = (name: string, body: (h: LocalStoreHarness) => Promise<void>) =>
    t.it(name, async () => {
      const harness = await factory();
      try {
        await body(harness);
      } finally {
        await harness.close?.();
      }
    });

  const record = (
    h: LocalStoreHarness,
    tableIndex: number,
    n: number,
    overrides: Partial<SyncRecord> = {},
  ) => {
    const table = h.tables[tableIndex] as string;
    return {
      table,
      id: contractId(n),
      version: 1,
      updatedAt: at(n),
      deletedAt: null,
      deviceId: DEVICE_A,
      payload: h.payload(table, n),
      ...overrides,
    } satisfies SyncRecord;
  };
  const server = (r: SyncRecord, changeSeq: number): ServerRecord => ({ ...r, changeSeq });
  const sameRecord = (actual: SyncRecord | null, expected: SyncRecord, what: string) => {
    assertTrue(actual, `${what}: record missing`);
    assertEqual(
      {
        ...actual,
        updatedAt: timestampMillis(actual.updatedAt),
        deletedAt: actual.deletedAt && timestampMillis(actual.deletedAt),
      },
      {
        ...expected,
        updatedAt: timestampMillis(expected.updatedAt),
        deletedAt: expected.deletedAt && timestampMillis(expected.deletedAt),
      },
      what,
    );
  };
  const pendingIds = async (h: LocalStoreHarness) =>
    (await h.store.pendingChanges({ tables: h.tables, limit: 1000, maxBytes: 10_000_000 })).map(
      (r) => `${r.table}/${r.id}`,
    );

  t.describe('LocalStore contract', () => {
    test('a fresh store has cursor 0, nothing pending, no dead letters and empty summaries', async (h) => {
      assertTrue((await h.store.deviceId()).length > 0, 'deviceId is a non-empty string');
      assertEqual(await h.store.deviceId(), await h.store.deviceId(), 'deviceId is stable');
      assertEqual(await h.store.getCursor(), 0, 'cursor');
      assertEqual(await pendingIds(h), [], 'pending');
      assertEqual(await h.store.listDeadLetters(), [], 'dead letters');
      assertEqual(
        await h.store.summarize(h.tables),
        h.tables.map((table) => ({ table, count: 0, deleted: 0, checksum: 0 })),
        'summaries',
      );
    });

    test('local edits are pending, parents first, bounded by count and bytes', async (h) => {
      const child = record(h, 1, 1);
      const parent = record(h, 0, 2);
      await h.writeLocal(child);
      await h.writeLocal(parent);
      await h.writeLocal(record(h, 1, 3));
      const all = await h.store.pendingChanges({ tables: h.tables, limit: 100, maxBytes: 10_000_000 });
      assertEqual(
        all.map((r) => r.table),
        [h.tables[0], h.tables[1], h.tables[1]],
        'pending records come in table order, parents first',
      );
      sameRecord(all[0] ?? null, parent, 'pending record is returned exactly as written');
      assertEqual(
        (await h.store.pendingChanges({ tables: h.tables, limit: 2, maxBytes: 10_000_000 })).length,
        2,
        'limit',
      );
      assertEqual(
        (await h.store.pendingChanges({ tables: h.tables, limit: 100, maxBytes: 1 })).length,
        1,
        'maxBytes still returns one record',
      );
      assertEqual(
        (await h.store.pendingChanges({ tables: [h.tables[1] as string], limit: 100, maxBytes: 10_000_000 }))
          .length,
        2,
        'only the requested tables',
      );
      const isParent = (table: string, id: string) => table === parent.table && id === parent.id;
      const skipping = await h.store.pendingChanges({
        tables: h.tables,
        limit: 2,
        maxBytes: 10_000_000,
        skip: isParent,
      });
      // A store that honours `skip` leaves the parent out and counts it toward the limit; one that ignores it
      // returns it, and the caller leaves it out. Either way the next record is the only other one.
      assertEqual(
        skipping.filter((r) => !isParent(r.table, r.id)).map((r) => r.table),
        [h.tables[1]],
        'a skipped record counts toward the limit',
      );
      const counts = await h.store.pendingCounts(h.tables);
      assertEqual(counts[h.tables[0] as string], 1, 'pending count of the parent table');
      assertEqual(counts[h.tables[1] as string], 2, 'pending count of the child table');
    });

    test('markPushed acknowledges the pushed version only, and is idempotent', async (h) => {
      const a = record(h, 0, 1);
      const b = record(h, 0, 2);
      await h.writeLocal(a);
      await h.writeLocal(b);
      await h.writeLocal({
        ...b,
        version: 2,
        updatedAt: at(30),
        payload: h.payload(h.tables[0] as string, 30),
      });
      const acks = [
        { table: a.table, id: a.id, version: 1, changeSeq: 1 },
        { table: b.table, id: b.id, version: 1, changeSeq: 2 },
        { table: a.table, id: contractId(99), version: 1, changeSeq: 3 },
      ];
      await h.store.markPushed(acks);
      await h.store.markPushed(acks);
      assertEqual(
        await pendingIds(h),
        [`${b.table}/${b.id}`],
        'the record edited since it was read stays pending',
      );
      assertEqual(await h.read(a.table, contractId(99)), null, 'an unknown acknowledgement creates nothing');
    });

    test('applyServerRecords inserts new records acknowledged and stores the cursor with them', async (h) => {
      const a = record(h, 0, 1, { deviceId: DEVICE_Z });
      const b = record(h, 1, 2, { deviceId: DEVICE_Z });
      const result = await h.store.applyServerRecords([server(a, 5), server(b, 6)], 6);
      assertEqual(result, { applied: 2, keptLocal: 0 }, 'apply result');
      assertEqual(await h.store.getCursor(), 6, 'cursor stored');
      sameRecord(await h.read(a.table, a.id), a, 'pulled record stored as sent');
      sameRecord(await h.read(b.table, b.id), b, 'pulled child record stored as sent');
      assertEqual(await pendingIds(h), [], 'pulled records are not pending');
      await h.store.applyServerRecords([server({ ...a, version: 2, updatedAt: at(40) }, 7)]);
      assertEqual(await h.store.getCursor(), 6, 'cursor unchanged when none is given');
      await h.store.applyServerRecords([], 9);
      assertEqual(await h.store.getCursor(), 9, 'an empty page still stores its cursor');
    });

    test('a server version that wins replaces a pending local edit', async (h) => {
      const local = record(h, 0, 1, { version: 2, updatedAt: at(10) });
      await h.writeLocal(local);
      const winner = record(h, 0, 1, {
        version: 3,
        updatedAt: at(5),
        deviceId: DEVICE_Z,
        payload: h.payload(h.tables[0] as string, 50),
      });
      assertEqual(
        await h.store.applyServerRecords([server(winner, 4)]),
        { applied: 1, keptLocal: 0 },
        'apply result',
      );
      sameRecord(await h.read(local.table, local.id), winner, 'the winner is stored');
      assertEqual(await pendingIds(h), [], 'the losing edit is no longer pending');
    });

    test('a pending local edit that wins is kept and stays pending', async (h) => {
      const local = record(h, 0, 1, { version: 3, updatedAt: at(1) });
      await h.writeLocal(local);
      const older = record(h, 0, 1, { version: 2, updatedAt: at(50), deviceId: DEVICE_Z });
      assertEqual(
        await h.store.applyServerRecords([server(older, 4)], 4),
        { applied: 0, keptLocal: 1 },
        'apply result',
      );
      sameRecord(await h.read(local.table, local.id), local, 'local copy kept');
      assertEqual(await pendingIds(h), [`${local.table}/${local.id}`], 'still pending');
      assertEqual(await h.store.getCursor(), 4, 'cursor still advances');
    });

    test('ties on version are broken by the earlier updatedAt (as UTC milliseconds), then by device id', async (h) => {
      const base = record(h, 0, 1, {
        version: 2,
        updatedAt: '2026-01-01T10:00:00.000Z',
        deviceId: 'device-m',
      });
      await h.writeLocal(base);
      const later = { ...base, updatedAt: '2026-01-01T10:00:00.001Z', deviceId: DEVICE_Z };
      assertEqual(
        await h.store.applyServerRecords([server(later, 1)]),
        { applied: 0, keptLocal: 1 },
        'a later claim of the same version loses',
      );
      const sameTimeLowerDevice = { ...base, updatedAt: '2026-01-01T10:00:00+00:00', deviceId: DEVICE_A };
      assertEqual(
        await h.store.applyServerRecords([server(sameTimeLowerDevice, 2)]),
        { applied: 0, keptLocal: 1 },
        'lower device id loses',
      );
      const sameTimeHigherDevice = { ...base, updatedAt: '2026-01-01T12:00:00+02:00', deviceId: DEVICE_Z };
      assertEqual(
        await h.store.applyServerRecords([server(sameTimeHigherDevice, 3)]),
        { applied: 1, keptLocal: 0 },
        'higher device id wins',
      );
      assertEqual((await h.read(base.table, base.id))?.deviceId, DEVICE_Z, 'winner stored');
      const earlier = { ...base, updatedAt: '2026-01-01T09:59:59.999Z', deviceId: DEVICE_A };
      assertEqual(
        await h.store.applyServerRecords([server(earlier, 4)]),
        { applied: 1, keptLocal: 0 },
        'an earlier claim of the same version wins',
      );
      assertEqual((await h.read(base.table, base.id))?.deviceId, DEVICE_A, 'earlier claim stored');
    });

    test('the same write coming back from the server acknowledges the local edit', async (h) => {
      const local = record(h, 1, 1, { version: 4 });
      await h.writeLocal(local);
      await h.store.applyServerRecords(
        [server({ ...local, updatedAt: local.updatedAt.replace('.000Z', 'Z') }, 8)],
        8,
      );
      assertEqual(await pendingIds(h), [], 'acknowledged by the pulled copy of the same write');
      sameRecord(await h.read(local.table, local.id), local, 'content unchanged');
    });

    test('tombstones are stored, counted apart from live records, and not pending when pulled', async (h) => {
      const live = record(h, 0, 1, { deviceId: DEVICE_Z });
      const gone = record(h, 0, 2, { deviceId: DEVICE_Z });
      await h.store.applyServerRecords([server(live, 1), server(gone, 2)], 2);
      const tombstone = { ...gone, version: 2, updatedAt: at(60), deletedAt: at(60) };
      await h.store.applyServerRecords([server(tombstone, 3)], 3);
      const stored = await h.read(gone.table, gone.id);
      assertTrue(stored?.deletedAt, 'tombstone has deletedAt');
      assertEqual(stored?.version, 2, 'tombstone version');
      assertEqual(await pendingIds(h), [], 'nothing pending');
      assertEqual(
        await h.store.summarize(h.tables),
        summarizeRecords(h.tables, [live, tombstone]),
        'summaries: live count and checksum, deleted count',
      );
    });

    test('summaries follow the digest definition for local and pulled records', async (h) => {
      const records = [
        record(h, 0, 1),
        record(h, 0, 2, { version: 7 }),
        record(h, 1, 3),
        record(h, 1, 4, { deletedAt: at(9), version: 2 }),
      ];
      for (const r of records) await h.writeLocal(r);
      const pulled = record(h, 1, 5, { deviceId: DEVICE_Z, version: 3 });
      await h.store.applyServerRecords([server(pulled, 1)], 1);
      assertEqual(
        await h.store.summarize(h.tables),
        summarizeRecords(h.tables, [...records, pulled]),
        'summaries',
      );
    });

    test('a full resync drops acknowledged records the server no longer sends, keeps pending edits', async (h) => {
      const kept = record(h, 0, 1, { deviceId: DEVICE_Z });
      const purged = record(h, 0, 2, { deviceId: DEVICE_Z });
      const purgedButEdited = record(h, 1, 3, { deviceId: DEVICE_Z });
      await h.store.applyServerRecords([server(kept, 1), server(purged, 2), server(purgedButEdited, 3)], 3);
      const edit = { ...purgedButEdited, version: 2, updatedAt: at(70), deviceId: DEVICE_A };
      await h.writeLocal(edit);
      const fresh = record(h, 1, 4);
      await h.writeLocal(fresh);
      await h.store.beginFullResync();
      await h.store.beginFullResync();
      assertEqual(await h.store.getCursor(), 3, 'beginFullResync leaves the cursor alone');
      await h.store.applyServerRecords([server(kept, 1)]);
      await h.store.finishFullResync();
      await h.store.applyServerRecords([], 10);
      sameRecord(await h.read(kept.table, kept.id), kept, 'record the server still has');
      assertEqual(
        await h.read(purged.table, purged.id),
        null,
        'acknowledged record gone from the server is dropped',
      );
      sameRecord(await h.read(edit.table, edit.id), edit, 'a pending edit stays (the server decides it)');
      sameRecord(await h.read(fresh.table, fresh.id), fresh, 'never-pushed record stays');
      assertEqual(
        (await pendingIds(h)).sort(),
        [`${fresh.table}/${fresh.id}`, `${edit.table}/${edit.id}`].sort(),
        'both stay pending',
      );
      assertEqual(await h.store.getCursor(), 10, 'cursor');
    });

    test('dead letters leave the pending set until retried or edited again', async (h) => {
      const bad = record(h, 0, 1);
      const good = record(h, 0, 2);
      await h.writeLocal(bad);
      await h.writeLocal(good);
      const letter = {
        table: bad.table,
        id: bad.id,
        version: 1,
        code: '23514',
        message: 'check failed',
        at: at(3),
      };
      await h.store.deadLetter([letter]);
      assertEqual(await pendingIds(h), [`${good.table}/${good.id}`], 'parked record is not pending');
      assertEqual(
        (await h.store.listDeadLetters()).map((l) => ({ ...l, at: timestampMillis(l.at) })),
        [{ ...letter, at: timestampMillis(letter.at) }],
        'dead letters listed',
      );
      assertEqual(await h.store.retryDeadLetters(), 1, 'released one');
      assertEqual((await pendingIds(h)).length, 2, 'released record is pending again');
      await h.store.deadLetter([letter]);
      await h.writeLocal({ ...bad, version: 2, updatedAt: at(20) });
      assertEqual((await pendingIds(h)).length, 2, 'a newer local version is pending again');
    });

    test('payloads round-trip, unicode included', async (h) => {
      for (let n = 1; n <= 5; n++) {
        const r = record(h, n % 2, 100 + n);
        await h.writeLocal(r);
        sameRecord(await h.read(r.table, r.id), r, `payload ${n}`);
      }
    });
  });
}
