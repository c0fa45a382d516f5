/**
 * The `Remote` contract: the behaviour of the reference server (`MemoryServer`) that every real backend
 * must reproduce. A Postgres/PostgREST backend runs it through its supabase-js adapter:
 *
 *   runRemoteContract({ describe, it }, async () => ({ user: (name) => …, tables, payload, purgeTombstones, close }));
 */
import { compareVersions, timestampMillis } from '../conflict.js';
import { summarizeRecords } from '../digest.js';
import { isRecordLevelSyncError, isSyncError } from '../errors.js';
import type { PullPage, PushResult, Remote, ServerRecord, SyncRecord } from '../ports.js';
import { assertEqual, assertRejects, assertTrue, type TestApi } from './assert.js';
import { contractId } from './local-store-contract.js';

export interface RemoteHarness {
  /** A signed-in connection of the user called `name`; fresh users per harness, the same name → the same user. */
  user(name: string): Promise<Remote>;
  /** At least two tables the server accepts, parents first. */
  tables: readonly string[];
  /** A payload for a record of `table`, different for each `n`, that the server returns unchanged. */
  payload(table: string, n: number): Record<string, unknown>;
  /** Purges, for every user, tombstones committed at least `horizonMs` ago (0: every tombstone). */
  purgeTombstones(horizonMs: number): Promise<void>;
  close?(): Promise<void>;
}

export type RemoteFactory = () => Promise<RemoteHarness>;

function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
}

const comparable = (r: SyncRecord) => ({
  table: r.table,
  id: r.id,
  version: r.version,
  updatedAt: timestampMillis(r.updatedAt),
  deletedAt: r.deletedAt === null ? null : timestampMillis(r.deletedAt),
  deviceId: r.deviceId,
  payload: r.payload,
});

async function pullAll(
  remote: Remote,
  cursor = 0,
  limit = 1000,
): Promise<{ records: ServerRecord[]; pages: PullPage[] }> {
  const records: ServerRecord[] = [];
  const pages: PullPage[] = [];
  let next = cursor;
  for (let i = 0; i < 10_000; i++) {
    const page = await remote.pull({ cursor: next, limit });
    pages.push(page);
    records.push(...page.records);
    next = page.nextCursor;
    if (!page.hasMore) return { records, pages };
  }
  throw new Error('pull never finished');
}

export function runRemoteContract(t: TestApi, factory: RemoteFactory): void {
  const test = (name: string, body: (h: RemoteHarness) => Promise<void>) =>
    t.it(
      name,
      async () => {
        const harness = await factory();
        try {
          await body(harness);
        } finally {
          await harness.close?.();
        }
      },
      60_000,
    );

  const record = (
    h: RemoteHarness,
    tableIndex: number,
    n: number,
    overrides: Partial<SyncRecord> = {},
  ): SyncRecord => {
    const table = h.tables[tableIndex] as string;
    return {
      table,
      id: contractId(n),
      version: 1,
      updatedAt: at(n),
      deletedAt: null,
      deviceId: 'device-a',
      payload: h.payload(table, n),
      ...overrides,
    };
  };
  const push = (remote: Remote, records: SyncRecord[], deviceId = 'device-a') =>
    remote.push({ deviceId, records });
  const outcome = (result: PushResult) => ({
    accepted: result.accepted.map((a) => `${a.table}/${a.id}@${a.version}`).sort(),
    rejected: result.rejected.map((r) => `${r.table}/${r.id}@${r.version}`).sort(),
  });

  t.describe('Remote contract', () => {
    test('accepted writes get distinct change_seqs, increasing in batch order, and pull back unchanged', async (h) => {
      const remote = await h.user('alice');
      const records = [record(h, 0, 1), record(h, 0, 2), record(h, 1, 3)];
      const result = await push(remote, records);
      assertEqual(
        outcome(result),
        { accepted: records.map((r) => `${r.table}/${r.id}@1`).sort(), rejected: [] },
        'outcome',
      );
      const seqs = records.map(
        (r) => result.accepted.find((a) => a.table === r.table && a.id === r.id)?.changeSeq ?? -1,
      );
      assertTrue(
        seqs.every((seq, i) => seq > 0 && (i === 0 || seq > (seqs[i - 1] as number))),
        `change_seqs increase in batch order: ${seqs}`,
      );
      const page = await remote.pull({ cursor: 0, limit: 100 });
      assertEqual(
        page.records.map(comparable),
        records.map(comparable),
        'pulled records equal the pushed ones',
      );
      assertEqual(
        page.records.map((r) => r.changeSeq),
        seqs,
        'pulled change_seqs equal the acknowledged ones',
      );
      assertEqual(
        { nextCursor: page.nextCursor, hasMore: page.hasMore, oldestRetainedSeq: page.oldestRetainedSeq },
        { nextCursor: seqs[2], hasMore: false, oldestRetainedSeq: 0 },
        'page fields',
      );
      const empty = await remote.pull({ cursor: page.nextCursor, limit: 100 });
      assertEqual(
        { records: empty.records, nextCursor: empty.nextCursor, hasMore: empty.hasMore },
        { records: [], nextCursor: page.nextCursor, hasMore: false },
        'nothing after the last cursor',
      );
    });

    test('replaying a batch is a no-op that returns the same outcome and change_seqs', async (h) => {
      const remote = await h.user('alice');
      const records = [record(h, 0, 1), record(h, 1, 2)];
      const first = await push(remote, records);
      const cursor = (await pullAll(remote)).pages.at(-1)?.nextCursor ?? 0;
      const second = await push(remote, records);
      const third = await push(
        remote,
        records.map((r) => ({ ...r, updatedAt: r.updatedAt.replace('.000Z', '+00:00') })),
      );
      const key = (a: { table: string; id: string; changeSeq: number }) =>
        `${a.table}/${a.id}:${a.changeSeq}`;
      assertEqual(
        second.accepted.map(key).sort(),
        first.accepted.map(key).sort(),
        'replay accepted with stored seqs',
      );
      assertEqual(
        third.accepted.map(key).sort(),
        first.accepted.map(key).sort(),
        'same instant in another offset is the same write',
      );
      assertEqual([second.rejected, third.rejected], [[], []], 'nothing rejected');
      assertEqual((await remote.pull({ cursor, limit: 100 })).records, [], 'no new change_seq after replays');
    });

    test('a higher version wins and replaces the stored copy with a new change_seq', async (h) => {
      const remote = await h.user('alice');
      const v1 = record(h, 0, 1);
      const first = await push(remote, [v1]);
      const v2 = {
        ...v1,
        version: 2,
        updatedAt: at(0),
        deviceId: 'device-b',
        payload: h.payload(h.tables[0] as string, 20),
      };
      const second = await push(remote, [v2], 'device-b');
      assertEqual(outcome(second), { accepted: [`${v1.table}/${v1.id}@2`], rejected: [] }, 'accepted');
      assertTrue(
        (second.accepted[0]?.changeSeq ?? 0) > (first.accepted[0]?.changeSeq ?? 0),
        'new change_seq is higher',
      );
      const { records } = await pullAll(remote);
      assertEqual(records.map(comparable), [comparable(v2)], 'one row per record, at the winning version');
    });

    test('a losing write is rejected with the stored winner, and changes nothing', async (h) => {
      const remote = await h.user('alice');
      const v3 = record(h, 0, 1, { version: 3, updatedAt: at(1) });
      await push(remote, [v3]);
      const before = await pullAll(remote);
      const stale = {
        ...v3,
        version: 2,
        updatedAt: at(50),
        deviceId: 'device-z',
        payload: h.payload(h.tables[0] as string, 9),
      };
      const result = await push(remote, [stale], 'device-z');
      assertEqual(outcome(result), { accepted: [], rejected: [`${v3.table}/${v3.id}@2`] }, 'rejected');
      const winner = result.rejected[0]?.winner as ServerRecord;
      assertEqual(comparable(winner), comparable(v3), 'winner is the stored copy');
      assertEqual(winner.changeSeq, before.records[0]?.changeSeq, 'winner carries its change_seq');
      assertEqual((await pullAll(remote)).records, before.records, 'nothing changed');
    });

    test('equal versions are ordered by the earlier updatedAt, then by device id', async (h) => {
      const remote = await h.user('alice');
      const base = record(h, 0, 1, {
        version: 2,
        updatedAt: '2026-01-01T10:00:00.000Z',
        deviceId: 'device-m',
      });
      await push(remote, [base], 'device-m');
      const results = [
        await push(
          remote,
          [{ ...base, updatedAt: '2026-01-01T10:00:00.001Z', deviceId: 'device-z' }],
          'device-z',
        ),
        await push(remote, [{ ...base, deviceId: 'device-a' }], 'device-a'),
        await push(
          remote,
          [{ ...base, updatedAt: '2026-01-01T11:00:00+01:00', deviceId: 'device-n' }],
          'device-n',
        ),
        await push(
          remote,
          [{ ...base, updatedAt: '2026-01-01T09:59:59.999Z', deviceId: 'device-b' }],
          'device-b',
        ),
      ];
      assertEqual(
        results.map((r) =>
          r.accepted.length === 1 ? 'accepted' : r.rejected.length === 1 ? 'rejected' : 'missing',
        ),
        ['rejected', 'rejected', 'accepted', 'accepted'],
        'later time loses, lower device loses, higher device wins, earlier time wins',
      );
      const { records } = await pullAll(remote);
      assertEqual(
        records.map((r) => r.deviceId),
        ['device-b'],
        'final winner',
      );
    });

    test('every record of a mixed batch is reported exactly once', async (h) => {
      const remote = await h.user('alice');
      const existing = [record(h, 0, 1, { version: 5 }), record(h, 0, 2)];
      await push(remote, existing);
      const batch = [
        record(h, 0, 1, { version: 4 }),
        record(h, 0, 2),
        record(h, 0, 3),
        record(h, 1, 4),
        record(h, 1, 1, { version: 1 }),
      ];
      const result = await push(remote, batch);
      assertEqual(
        outcome(result),
        {
          accepted: [
            `${h.tables[0]}/${contractId(2)}@1`,
            `${h.tables[0]}/${contractId(3)}@1`,
            `${h.tables[1]}/${contractId(4)}@1`,
            `${h.tables[1]}/${contractId(1)}@1`,
          ].sort(),
          rejected: [`${h.tables[0]}/${contractId(1)}@4`],
        },
        'outcome (the same id in another table is another record)',
      );
    });

    test('deletes are versions with deletedAt; a stale write never resurrects a tombstone', async (h) => {
      const remote = await h.user('alice');
      const v1 = record(h, 0, 1);
      await push(remote, [v1]);
      const tombstone = { ...v1, version: 2, updatedAt: at(30), deletedAt: at(30), deviceId: 'device-b' };
      assertEqual(outcome(await push(remote, [tombstone], 'device-b')).accepted.length, 1, 'delete accepted');
      const stale = await push(remote, [
        { ...v1, updatedAt: at(59), payload: h.payload(h.tables[0] as string, 77) },
      ]);
      assertEqual(stale.rejected.length, 1, 'stale live write rejected');
      assertTrue(stale.rejected[0]?.winner.deletedAt, 'winner is the tombstone');
      const { records } = await pullAll(remote);
      assertEqual(records.map(comparable), [comparable(tombstone)], 'the tombstone is what pulls return');
      const summary = await remote.summarize([...h.tables]);
      assertEqual(
        summary[0],
        { table: h.tables[0], count: 0, deleted: 1, checksum: 0 },
        'summary counts the tombstone apart',
      );
    });

    test('pull pages follow change_seq with has_more, without gaps or duplicates', async (h) => {
      const remote = await h.user('alice');
      const records = Array.from({ length: 7 }, (_, i) => record(h, i % 2, i + 1));
      await push(remote, records.slice(0, 4));
      await push(remote, records.slice(4));
      const { records: pulled, pages } = await pullAll(remote, 0, 3);
      assertEqual(
        pages.map((p) => [p.records.length, p.hasMore]),
        [
          [3, true],
          [3, true],
          [1, false],
        ],
        'page sizes and has_more',
      );
      const seqs = pulled.map((r) => r.changeSeq);
      assertTrue(
        seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)),
        'strictly ascending change_seq',
      );
      assertEqual(
        pages.map((p) => p.nextCursor),
        pages.map((p) => p.records.at(-1)?.changeSeq),
        'nextCursor is the last change_seq of the page',
      );
      assertEqual(
        pulled.map(comparable).sort((a, b) => (a.id < b.id ? -1 : 1)),
        records.map(comparable),
        'every record once',
      );
    });

    test('users are isolated: pulls, pushes, conflicts and summaries', async (h) => {
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      const shared = record(h, 0, 1, { version: 5 });
      await push(alice, [shared, record(h, 0, 2)]);
      assertEqual((await pullAll(bob)).records, [], 'bob sees none of alice’s records');
      const bobs = await push(bob, [{ ...shared, version: 1 }], 'device-bob');
      assertEqual(
        outcome(bobs),
        { accepted: [`${shared.table}/${shared.id}@1`], rejected: [] },
        'bob’s copy of the same id is his own record',
      );
      assertEqual(
        (await pullAll(alice)).records.find((r) => r.id === shared.id)?.version,
        5,
        'alice’s record untouched',
      );
      assertEqual((await bob.summarize([...h.tables]))[0]?.count, 1, 'bob’s summary');
      assertEqual((await alice.summarize([...h.tables]))[0]?.count, 2, 'alice’s summary');
    });

    test('an invalid record fails the whole batch permanently and writes nothing', async (h) => {
      const remote = await h.user('alice');
      const good = record(h, 0, 1);
      for (const bad of [
        record(h, 0, 2, { version: 0 }),
        record(h, 0, 3, { updatedAt: 'yesterday' }),
        { ...record(h, 0, 4), table: 'no_such_table' },
      ]) {
        await assertRejects(
          push(remote, [good, bad]),
          (error) => isSyncError(error) && isRecordLevelSyncError(error),
          `batch with ${JSON.stringify({ table: bad.table, version: bad.version, updatedAt: bad.updatedAt })}`,
        );
      }
      assertEqual((await pullAll(remote)).records, [], 'nothing written');
    });

    test('summaries: live count and checksum per table, tombstones counted apart', async (h) => {
      const remote = await h.user('alice');
      const records = [
        record(h, 0, 1),
        record(h, 0, 2, { version: 3 }),
        record(h, 1, 3),
        record(h, 1, 4, { version: 2, deletedAt: at(4) }),
      ];
      await push(remote, records);
      assertEqual(await remote.summarize([...h.tables]), summarizeRecords(h.tables, records), 'summaries');
    });

    test('purging tombstones hides them from pulls, raises oldestRetainedSeq, and still rejects stale writes', async (h) => {
      const remote = await h.user('alice');
      const live = record(h, 0, 1);
      const doomed = record(h, 0, 2);
      await push(remote, [live, doomed]);
      const tombstone = { ...doomed, version: 2, deletedAt: at(10), updatedAt: at(10) };
      const deleted = await push(remote, [tombstone]);
      const later = record(h, 1, 3);
      await push(remote, [later]);
      await h.purgeTombstones(24 * 60 * 60 * 1000);
      assertEqual(
        (await remote.pull({ cursor: 0, limit: 100 })).oldestRetainedSeq,
        0,
        'a fresh tombstone is kept',
      );
      await h.purgeTombstones(0);
      const page = await remote.pull({ cursor: 0, limit: 100 });
      assertEqual(
        page.oldestRetainedSeq,
        deleted.accepted[0]?.changeSeq,
        'watermark is the purged tombstone’s change_seq',
      );
      assertEqual(
        page.records.map(comparable),
        [comparable(live), comparable(later)],
        'tombstone gone, live records kept',
      );
      const stale = await push(remote, [{ ...doomed, updatedAt: at(59) }], 'device-z');
      assertEqual(
        outcome(stale),
        { accepted: [], rejected: [`${doomed.table}/${doomed.id}@1`] },
        'a stale write of a purged record is still rejected',
      );
      const winner = stale.rejected[0]?.winner as ServerRecord;
      assertEqual(
        { version: winner.version, deleted: winner.deletedAt !== null, deviceId: winner.deviceId },
        { version: 2, deleted: true, deviceId: tombstone.deviceId },
        'the winner is the purged tombstone (payload may be dropped)',
      );
      assertEqual(
        (await remote.pull({ cursor: page.nextCursor, limit: 100 })).records,
        [],
        'and nothing new is pulled',
      );
      assertEqual(
        (await remote.summarize([...h.tables]))[0],
        summarizeRecords(h.tables, [live])[0],
        'summary without the purged tombstone',
      );
      const bob = await h.user('bob');
      assertEqual((await bob.pull({ cursor: 0, limit: 10 })).oldestRetainedSeq, 0, 'watermarks are per user');
    });

    test('concurrent pushes and pulls: an incremental reader misses nothing', async (h) => {
      const writerA = await h.user('alice');
      const writerB = await h.user('alice');
      const reader = await h.user('alice');
      const expected = new Map<string, SyncRecord>();
      const pushes: Promise<PushResult>[] = [];
      for (let i = 0; i < 12; i++) {
        const a = record(h, 1, 1000 + i, { deviceId: 'device-a' });
        const b = record(h, 1, 2000 + i, { deviceId: 'device-b' });
        expected.set(a.id, a);
        expected.set(b.id, b);
        pushes.push(push(writerA, [a], 'device-a'), push(writerB, [b], 'device-b'));
      }
      const seen = new Map<string, ServerRecord>();
      let cursor = 0;
      const readUntil = async (done: () => boolean) => {
        for (let i = 0; i < 10_000; i++) {
          const page = await reader.pull({ cursor, limit: 5 });
          for (const r of page.records) {
            assertTrue(r.changeSeq > cursor, 'every pulled record is after the cursor');
            seen.set(r.id, r);
          }
          cursor = page.nextCursor;
          if (!page.hasMore && done()) return;
        }
      };
      let settled = false;
      const all = Promise.all(pushes).then(() => {
        settled = true;
      });
      await readUntil(() => settled);
      await all;
      await readUntil(() => true);
      assertEqual(
        [...seen.keys()].sort(),
        [...expected.keys()].sort(),
        'the reader saw every committed record',
      );
      for (const [id, r] of seen)
        assertTrue(compareVersions(r, expected.get(id) as SyncRecord) === 0, `record ${id}`);
    });
  });
}
