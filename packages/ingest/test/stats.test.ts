import {
  buildUsageRollup,
  openLocalDatabase,
  parseRollup,
  rollupEntries,
  storeUsageRollup,
  stringifyRollup,
  TranscriptWriter,
} from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import { rowId } from '../src/ids.js';
import { PriceTable } from '../src/pricing.js';
import { RecordBatch, type TurnRecord } from '../src/records.js';
import { computeStats, slotDateFormatter } from '../src/stats.js';
import { DEVICE, freshStore } from './helpers.js';

// Real SQLite files on a shared machine: allow for slow disks.
vi.setConfig({ testTimeout: 30_000 });

const prices = new PriceTable({
  source: 'test',
  date: '2026-01-01',
  models: { 'model-a': { input: 1e-6, output: 2e-6, cache_write: 0, cache_read: 0 } },
});

function turn(session: string, n: number, over: Partial<TurnRecord>): TurnRecord {
  return {
    id: rowId.claudeTurn(session, `t${n}`),
    sessionId: rowId.claudeSession(session),
    commitId: null,
    role: 'assistant',
    content: null,
    timestamp: '2026-01-09T12:00:00.000Z',
    toolCalls: [],
    model: 'model-a',
    messageId: `m${n}`,
    requestId: `r${n}`,
    isSidechain: false,
    agentId: null,
    cwd: '/work/a',
    usage: { input: 100, output: 10, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 },
    costUsd: null,
    speed: null,
    ...over,
  };
}

function seed(turns: TurnRecord[]) {
  const db = freshStore();
  const writer = new TranscriptWriter(db.sqlite, DEVICE, rowId.machine(DEVICE), '2026-11-01T00:00:00Z');
  writer.touchMachine({ name: 'laptop', hostname: 'laptop.local', platform: 'linux' });
  const batch = new RecordBatch();
  for (const t of turns) {
    if (!batch.sessions.has(t.sessionId)) {
      const projectId = rowId.project(t.cwd!);
      batch.touchProject(t.cwd!, projectId);
      batch.sessions.set(t.sessionId, {
        id: t.sessionId,
        source: 'claude_code',
        nativeId: t.sessionId,
        projectId,
        cwd: t.cwd,
        startedAt: t.timestamp,
        endedAt: t.timestamp,
      });
    }
    batch.turns.set(t.id, t);
  }
  writer.write(batch);
  return db;
}

describe('computeStats', () => {
  it('groups days in the requested time zone', () => {
    const db = seed([
      turn('s1', 1, { timestamp: '2026-01-09T23:30:00.000Z' }),
      turn('s1', 2, { timestamp: '2026-01-09T10:00:00.000Z' }),
    ]);
    const utc = computeStats(db.sqlite, { by: 'day', timeZone: 'UTC', prices });
    expect(utc.rows.map((r) => [r.key, r.turns])).toEqual([['2026-01-09', 2]]);
    const tokyo = computeStats(db.sqlite, { by: 'day', timeZone: 'Asia/Tokyo', prices });
    expect(tokyo.rows.map((r) => [r.key, r.turns])).toEqual([
      ['2026-01-09', 1],
      ['2026-01-10', 1],
    ]);
    const month = computeStats(db.sqlite, { by: 'month', timeZone: 'Asia/Tokyo', prices });
    expect(month.rows.map((r) => r.key)).toEqual(['2026-01']);
  });

  it('filters by --since/--until on local days, inclusive', () => {
    const db = seed([
      turn('s1', 1, { timestamp: '2026-01-08T12:00:00.000Z' }),
      turn('s1', 2, { timestamp: '2026-01-09T12:00:00.000Z' }),
      turn('s1', 3, { timestamp: '2026-01-10T12:00:00.000Z' }),
    ]);
    const r = computeStats(db.sqlite, { since: '2026-01-09', until: '2026-01-09', timeZone: 'UTC', prices });
    expect(r.totals).toMatchObject({ turns: 1, input_tokens: 100 });
  });

  it('counts one response once when two sessions carry it (resumed copy), non-sidechain and largest kept', () => {
    const db = seed([
      turn('s1', 1, {
        messageId: 'm',
        requestId: 'r',
        usage: { input: 100, output: 5, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 },
      }),
      turn('s2', 1, {
        messageId: 'm',
        requestId: 'r',
        usage: { input: 100, output: 50, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 },
      }),
      turn('s3', 1, {
        messageId: 'm',
        requestId: 'r',
        isSidechain: true,
        usage: { input: 900, output: 900, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 },
      }),
    ]);
    const r = computeStats(db.sqlite, { timeZone: 'UTC', prices });
    expect(r.totals).toMatchObject({ input_tokens: 100, output_tokens: 50, turns: 3, sessions: 3 });
  });

  it('treats a missing and an empty request id as one response, among other responses and days', () => {
    const usage = (input: number) => ({
      input,
      output: 0,
      cacheCreation: 0,
      cacheCreation1h: 0,
      cacheRead: 0,
      reasoning: 0,
    });
    const db = seed([
      turn('s1', 1, { messageId: 'm', requestId: null, usage: usage(10) }),
      turn('s1', 2, { messageId: 'a', requestId: 'r', usage: usage(1) }),
      turn('s2', 1, {
        messageId: 'm',
        requestId: '',
        usage: usage(30),
        timestamp: '2026-01-10T12:00:00.000Z',
      }),
      turn('s2', 2, { messageId: 'z', requestId: 'r', usage: usage(2) }),
      turn('s3', 1, { messageId: null, requestId: null, usage: usage(4) }),
      turn('s3', 2, { messageId: null, requestId: null, usage: usage(0) }),
      turn('s3', 3, { messageId: 'm', requestId: 'x', usage: usage(100) }),
    ]);
    const r = computeStats(db.sqlite, { timeZone: 'UTC', prices });
    expect(r.totals).toMatchObject({ input_tokens: 30 + 1 + 2 + 4 + 100, turns: 7, sessions: 3 });
    expect(r.rows.map((row) => [row.key, row.input_tokens, row.turns])).toEqual([
      ['2026-01-09', 107, 6],
      ['2026-01-10', 30, 1],
    ]);
    // The response's largest copy falls on the 10th: the 9th alone does not count the smaller copy instead.
    const ninth = computeStats(db.sqlite, { timeZone: 'UTC', prices, until: '2026-01-09' });
    expect(ninth.totals).toMatchObject({ input_tokens: 107, turns: 6 });
  });

  it('uses costUSD when present, the price table otherwise, and lists unpriced models', () => {
    const db = seed([
      turn('s1', 1, { costUsd: 0.5 }),
      turn('s1', 2, {}),
      turn('s1', 3, { model: 'model-zzz' }),
    ]);
    const r = computeStats(db.sqlite, { by: 'model', timeZone: 'UTC', prices });
    expect(r.totals.cost_usd).toBeCloseTo(0.5 + 100 * 1e-6 + 10 * 2e-6, 9);
    expect(r.totals.unpriced_models).toEqual(['model-zzz']);
    expect(r.rows.find((x) => x.key === 'model-zzz')).toMatchObject({
      cost_usd: 0,
      unpriced_models: ['model-zzz'],
      input_tokens: 100,
    });
  });

  it('excludes tombstoned turns', () => {
    const db = seed([turn('s1', 1, {}), turn('s1', 2, {})]);
    db.sqlite
      .prepare("update turns set deleted_at = '2026-11-01T00:00:00Z' where id = ?")
      .run(rowId.claudeTurn('s1', 't1'));
    expect(computeStats(db.sqlite, { timeZone: 'UTC', prices }).totals).toMatchObject({
      turns: 1,
      input_tokens: 100,
    });
  });

  it('by model: prompts count under the model in effect, and no row of only zeros appears', () => {
    const db = seed([
      turn('s1', 1, { timestamp: '2026-01-09T10:00:00.000Z', role: 'user', model: null, usage: null }),
      turn('s1', 2, { timestamp: '2026-01-09T10:01:00.000Z' }),
      turn('s1', 3, { timestamp: '2026-01-09T10:02:00.000Z', role: 'user', model: null, usage: null }),
      turn('s1', 4, { timestamp: '2026-01-09T10:03:00.000Z', model: 'model-b' }),
      turn('s1', 5, { timestamp: '2026-01-09T10:04:00.000Z', role: 'user', model: null, usage: null }),
      // A synthetic message with a model and no usage, and a session that was never answered.
      turn('s1', 6, { timestamp: '2026-01-09T10:05:00.000Z', model: '<synthetic>', usage: null }),
      turn('s2', 7, { timestamp: '2026-01-09T11:00:00.000Z', role: 'user', model: null, usage: null }),
    ]);
    const report = computeStats(db.sqlite, { by: 'model', timeZone: 'UTC', prices });
    expect(report.rows.map((r) => [r.key, r.turns, r.sessions])).toEqual([
      ['model-a', 3, 1],
      ['model-b', 2, 1],
    ]);
    expect(report.totals.turns).toBe(7);
    expect(report.totals.sessions).toBe(2);
  });

  it('keys rows by project path, session id and machine name', () => {
    const db = seed([turn('s1', 1, { cwd: '/work/a' }), turn('s2', 2, { cwd: '/work/b' })]);
    expect(computeStats(db.sqlite, { by: 'project', prices }).rows.map((r) => r.key)).toEqual([
      '/work/a',
      '/work/b',
    ]);
    expect(computeStats(db.sqlite, { by: 'machine', prices }).rows.map((r) => [r.key, r.sessions])).toEqual([
      ['laptop', 2],
    ]);
    expect(computeStats(db.sqlite, { by: 'session', prices }).rows).toHaveLength(2);
  });
});

describe('slotDateFormatter', () => {
  it('agrees with Intl for every zone kind (DST, half- and quarter-hour offsets) across transitions', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Berlin',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'America/St_Johns',
    ];
    const start = Date.parse('2025-01-01T00:00:00Z');
    const processZone = process.env.TZ;
    for (const zone of zones) {
      for (const own of [false, true]) {
        // Named, or as the process's own zone ($TZ, read through Date's local time).
        if (own) process.env.TZ = zone;
        const dayOfSlot = slotDateFormatter(own ? undefined : zone);
        const local = (iso: string) => dayOfSlot(Math.floor(Date.parse(iso) / 900_000));
        const reference = new Intl.DateTimeFormat('en-CA', {
          timeZone: zone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        });
        // Every 33 minutes 53 seconds through a year: both sides of each transition and of local midnight.
        const mismatches: string[] = [];
        for (let ms = start; ms < start + 366 * 86_400_000; ms += 2_033_000) {
          const iso = new Date(ms).toISOString();
          const expected = reference.format(new Date(ms));
          if (local(iso) !== expected)
            mismatches.push(`${zone}${own ? ' ($TZ)' : ''} ${iso}: ${local(iso)} != ${expected}`);
        }
        if (processZone === undefined) delete process.env.TZ;
        else process.env.TZ = processZone;
        expect(mismatches.slice(0, 5)).toEqual([]);
      }
    }
  }, 60_000);
});

/**
 * The figures computed turn by turn, straight from the turns table: each response's winner (non-sidechain,
 * largest usage, then with a speed, then first by (message, request, rowid)) counts its usage where it falls.
 */
function referenceStats(
  db: ReturnType<typeof seed>,
  by: 'day' | 'month' | 'model' | 'project' | 'session' | 'machine',
  timeZone: string,
  table: PriceTable,
  range: { since?: string; until?: string } = {},
) {
  type Turn = {
    session_id: string;
    timestamp: string;
    model: string | null;
    message_id: string | null;
    request_id: string | null;
    is_sidechain: number;
    speed: string | null;
    input_tokens: number;
    output_tokens: number;
    cache_creation_tokens: number;
    cache_creation_1h_tokens: number;
    cache_read_tokens: number;
    reasoning_tokens: number;
    cost_usd: number | null;
    machine_id: string | null;
  };
  const turns = db.sqlite
    .prepare('select * from turns where deleted_at is null order by message_id, request_id, rowid')
    .all() as Turn[];
  const sessions = new Map(
    (
      db.sqlite
        .prepare(
          'select s.id, s.native_id, coalesce(p.path, s.cwd) as project from sessions s left join projects p on p.id = s.project_id where s.deleted_at is null',
        )
        .all() as { id: string; native_id: string; project: string }[]
    ).map((s) => [s.id, s]),
  );
  const machines = new Map(
    (db.sqlite.prepare('select id, name from machines').all() as { id: string; name: string }[]).map((m) => [
      m.id,
      m.name,
    ]),
  );
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  const dayOf = (iso: string) => format.format(new Date(iso));
  const size = (t: Turn) => t.input_tokens + t.output_tokens + t.cache_creation_tokens + t.cache_read_tokens;
  const winners = new Map<string, Turn>();
  const counted: Turn[] = [];
  for (const t of turns) {
    if (size(t) === 0) continue;
    if (t.message_id === null) {
      counted.push(t);
      continue;
    }
    const key = `${t.message_id}\u0000${t.request_id ?? ''}`;
    const w = winners.get(key);
    const better =
      !w ||
      (t.is_sidechain !== w.is_sidechain
        ? t.is_sidechain < w.is_sidechain
        : size(t) !== size(w)
          ? size(t) > size(w)
          : t.speed !== null && w.speed === null);
    if (better) winners.set(key, t);
  }
  counted.push(...winners.values());
  const groups = new Map<
    string,
    { turns: number; sessions: Set<string>; input: number; output: number; cost: number }
  >();
  // A turn with neither model nor usage counts under the model in effect in its session: that of the latest turn
  // naming a model at or before it, else of the first one after it.
  const modelOf = (t: Turn): string | null => {
    if (t.model !== null || size(t) !== 0 || t.cost_usd !== null) return t.model;
    const at = Date.parse(t.timestamp);
    let before: Turn | null = null;
    let after: Turn | null = null;
    for (const o of turns) {
      if (o.session_id !== t.session_id || o.model === null) continue;
      const ms = Date.parse(o.timestamp);
      if (ms <= at && (!before || ms >= Date.parse(before.timestamp))) before = o;
      if (ms > at && (!after || ms < Date.parse(after.timestamp))) after = o;
    }
    return (before ?? after)?.model ?? null;
  };
  const groupOf = (t: Turn) => {
    const session = sessions.get(t.session_id);
    if (!session) return null;
    const day = dayOf(t.timestamp);
    if ((range.since && day < range.since) || (range.until && day > range.until)) return null;
    const key =
      by === 'day'
        ? day
        : by === 'month'
          ? day.slice(0, 7)
          : by === 'model'
            ? (modelOf(t) ?? '(none)')
            : by === 'project'
              ? session.project
              : by === 'session'
                ? session.native_id
                : (machines.get(t.machine_id ?? '') ?? '(unknown)');
    let g = groups.get(key);
    if (!g) {
      g = { turns: 0, sessions: new Set(), input: 0, output: 0, cost: 0 };
      groups.set(key, g);
    }
    return g;
  };
  for (const t of turns) {
    const g = groupOf(t);
    if (!g) continue;
    g.turns++;
    g.sessions.add(t.session_id);
  }
  for (const t of counted) {
    const g = groupOf(t);
    if (!g) continue;
    g.input += t.input_tokens;
    g.output += t.output_tokens;
    g.cost +=
      t.cost_usd ??
      table.cost(
        t.model,
        {
          input: t.input_tokens,
          output: t.output_tokens,
          cacheCreation: t.cache_creation_tokens,
          cacheCreation1h: t.cache_creation_1h_tokens,
          cacheRead: t.cache_read_tokens,
          reasoning: t.reasoning_tokens,
        },
        t.speed,
      ) ??
      0;
  }
  return [...groups.entries()]
    .filter(([, g]) => by !== 'model' || g.input !== 0 || g.output !== 0 || g.cost !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, g]) => ({
      key,
      turns: g.turns,
      sessions: g.sessions.size,
      input_tokens: g.input,
      output_tokens: g.output,
      cost_usd: Math.round(g.cost * 1e9) / 1e9,
    }));
}

function comparable(report: ReturnType<typeof computeStats>) {
  return report.rows.map((r) => ({
    key: r.key,
    turns: r.turns,
    sessions: r.sessions,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cost_usd: r.cost_usd,
  }));
}

const rollupData = (db: ReturnType<typeof seed>) =>
  (db.sqlite.prepare('select data from usage_rollup').get() as { data: string }).data;
const rollupState = (db: ReturnType<typeof seed>) =>
  db.sqlite.prepare('select valid, prices from usage_rollup').get() as {
    valid: number;
    prices: string;
  };

/** Turns over several days and zones' day boundaries, resumed copies of one response, a sidechain copy, costUSD. */
function mixedStore() {
  return seed([
    turn('s1', 1, { timestamp: '2026-01-09T18:20:00.000Z' }),
    turn('s1', 2, { timestamp: '2026-01-09T18:40:00.000Z', costUsd: 0.5 }),
    turn('s1', 3, { timestamp: '2026-01-10T02:10:00.000Z', model: 'model-zzz' }),
    turn('s1', 4, { timestamp: '2026-01-10T23:50:00.000Z', messageId: null, requestId: null }),
    turn('s2', 5, { timestamp: '2026-01-10T00:05:00.000Z', cwd: '/work/b' }),
    // s3 resumed s2: a copy of response 5 with more usage wins; a sidechain copy of response 1 does not.
    turn('s3', 6, {
      timestamp: '2026-01-11T09:00:00.000Z',
      cwd: '/work/b',
      messageId: 'm5',
      requestId: 'r5',
      usage: { input: 300, output: 30, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 },
    }),
    turn('s3', 7, {
      timestamp: '2026-01-11T09:05:00.000Z',
      cwd: '/work/b',
      messageId: 'm1',
      requestId: 'r1',
      isSidechain: true,
      usage: { input: 900, output: 90, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 },
    }),
    turn('s3', 8, { timestamp: '2026-01-11T09:10:00.000Z', cwd: '/work/b', role: 'user', model: null }),
  ]);
}

describe('the usage rollup', () => {
  const groupings = ['day', 'month', 'model', 'project', 'session', 'machine'] as const;
  const zones = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham'];

  it('gives the turn-by-turn figures for every grouping, zone and range, built or read back', () => {
    const db = mixedStore();
    for (const timeZone of zones) {
      for (const by of groupings) {
        for (const range of [{}, { since: '2026-01-10' }, { until: '2026-01-10' }]) {
          const expected = referenceStats(db, by, timeZone, prices, range);
          db.sqlite.exec('update usage_rollup set valid = 0');
          expect(comparable(computeStats(db.sqlite, { by, timeZone, prices, ...range }))).toEqual(expected);
          expect(rollupState(db).valid).toBe(1);
          expect(comparable(computeStats(db.sqlite, { by, timeZone, prices, ...range }))).toEqual(expected);
        }
      }
    }
  });

  it('is read back while no turn changes: a second stats does not scan the turns', () => {
    const db = mixedStore();
    const first = computeStats(db.sqlite, { timeZone: 'UTC', prices });
    expect(rollupState(db)).toEqual({ valid: 1, prices: prices.fingerprint });
    // What the stored rollup says is what stats reports, so it is what was read.
    db.sqlite.exec(
      "update usage_rollup set data = json_set(data, '$.rows[5]', json_extract(data, '$.rows[5]') + 1000)",
    );
    const second = computeStats(db.sqlite, { timeZone: 'UTC', prices });
    expect(second.totals.input_tokens).toBe(first.totals.input_tokens + 1000);
  });

  it('becomes stale on every write to a turn column stats reads, and not on sync bookkeeping', () => {
    const id = (n: number) => rowId.claudeTurn('s1', `t${n}`);
    const writes: [string, (db: ReturnType<typeof seed>) => void][] = [
      [
        'a new turn',
        (db) => {
          const writer = new TranscriptWriter(
            db.sqlite,
            DEVICE,
            rowId.machine(DEVICE),
            '2026-11-02T00:00:00Z',
          );
          const batch = new RecordBatch();
          const t = turn('s1', 9, { timestamp: '2026-01-12T10:00:00.000Z' });
          batch.turns.set(t.id, t);
          writer.write(batch);
        },
      ],
      [
        'more output',
        (db) => db.sqlite.prepare('update turns set output_tokens = 77 where id = ?').run(id(1)),
      ],
      [
        'a tombstone',
        (db) =>
          db.sqlite.prepare("update turns set deleted_at = '2026-11-02T00:00:00Z' where id = ?").run(id(2)),
      ],
      ['a purge', (db) => db.sqlite.prepare('delete from turns where id = ?').run(id(2))],
      [
        'another model',
        (db) => db.sqlite.prepare("update turns set model = 'model-zzz' where id = ?").run(id(1)),
      ],
      [
        'another time',
        (db) =>
          db.sqlite
            .prepare("update turns set timestamp = '2026-02-01T00:00:00.000Z' where id = ?")
            .run(id(1)),
      ],
    ];
    for (const [what, write] of writes) {
      const db = mixedStore();
      computeStats(db.sqlite, { timeZone: 'UTC', prices });
      db.sqlite.exec("update turns set synced_version = version, cloud_id = id, sync_status = 'synced'");
      expect(rollupState(db).valid, `sync bookkeeping before ${what}`).toBe(1);
      write(db);
      expect(rollupState(db).valid, what).toBe(0);
      expect(comparable(computeStats(db.sqlite, { timeZone: 'UTC', prices })), what).toEqual(
        referenceStats(db, 'day', 'UTC', prices),
      );
      expect(rollupState(db).valid, what).toBe(1);
    }
  });

  it('is rebuilt, not trusted, when its stored form cannot be read', () => {
    const db = mixedStore();
    const expected = comparable(computeStats(db.sqlite, { timeZone: 'UTC', prices }));
    for (const data of [
      'not json',
      '{"format":2,"rows":[]}',
      '{"format":1,"sessions":[],"models":[],"machines":[],"rows":[0,1,2]}',
      '{"format":1,"sessions":[],"models":[null],"machines":[null],"rows":[5,1,0,0,1,1,1,1,1,1,0]}',
    ]) {
      db.sqlite.prepare('update usage_rollup set data = ?').run(data);
      expect(comparable(computeStats(db.sqlite, { timeZone: 'UTC', prices })), data).toEqual(expected);
      expect(parseRollup(rollupData(db))).toBeDefined();
    }
  });

  it('stores every entry as it was built', () => {
    const db = mixedStore();
    const built = buildUsageRollup(db.sqlite, prices);
    const rows = rollupEntries(built);
    expect(rows.length).toBeGreaterThan(5);
    // Its text is what JSON.stringify makes of it with its numbers in an array, and reads back whole.
    const text = stringifyRollup(built);
    const stored = { ...built, rows: Array.from(built.rows) };
    expect(text).toBe(JSON.stringify(stored));
    expect(stored.rows).toHaveLength(rows.length * 11);
    expect(parseRollup(text)).toEqual(stored);
    // Each entry reads back as it was built.
    const back = stored.rows.flatMap((_, i) =>
      i % 11 === 0
        ? [
            [
              stored.sessions[stored.rows[i]!],
              stored.rows[i + 1],
              stored.models[stored.rows[i + 2]!],
              stored.machines[stored.rows[i + 3]!],
              ...stored.rows.slice(i + 4, i + 11),
            ],
          ]
        : [],
    );
    expect(back).toEqual(rows);
    // A number JSON cannot write is written as JSON.stringify writes it.
    const odd = { ...built, rows: Float64Array.from([0, 1, 0, 0, 1, 1, 1, 1, 1, Number.NaN, 0]) };
    expect(stringifyRollup(odd)).toBe(JSON.stringify({ ...odd, rows: Array.from(odd.rows) }));
  });

  it('is rebuilt for another price table', () => {
    const db = mixedStore();
    const before = computeStats(db.sqlite, { by: 'model', timeZone: 'UTC', prices });
    const dearer = new PriceTable({
      source: 'test',
      date: '2026-01-01',
      models: { 'model-a': { input: 2e-6, output: 4e-6, cache_write: 0, cache_read: 0 } },
    });
    const after = computeStats(db.sqlite, { by: 'model', timeZone: 'UTC', prices: dearer });
    expect(dearer.fingerprint).not.toBe(prices.fingerprint);
    expect(rollupState(db).prices).toBe(dearer.fingerprint);
    expect(comparable(after)).toEqual(referenceStats(db, 'model', 'UTC', dearer));
    expect(after.totals.cost_usd).toBeGreaterThan(before.totals.cost_usd);
  });

  it('is not stored when another connection wrote after the snapshot it was built from', async () => {
    const db = mixedStore();
    const other = openLocalDatabase({ path: db.path });
    try {
      const dataVersion = db.sqlite.pragma('data_version', { simple: true }) as number;
      const built = buildUsageRollup(db.sqlite, prices);
      other.sqlite
        .prepare('update turns set output_tokens = 5 where id = ?')
        .run(rowId.claudeTurn('s1', 't1'));
      expect(storeUsageRollup(db.sqlite, built, prices.fingerprint, dataVersion)).toBe(false);
      expect(rollupState(db).valid).toBe(0);
      const fresh = db.sqlite.pragma('data_version', { simple: true }) as number;
      expect(
        storeUsageRollup(db.sqlite, buildUsageRollup(db.sqlite, prices), prices.fingerprint, fresh),
      ).toBe(true);
      expect(rollupState(db).valid).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('is computed but not stored on a read-only connection', async () => {
    const db = mixedStore();
    const reader = openLocalDatabase({ path: db.path, readonly: true });
    try {
      expect(comparable(computeStats(reader.sqlite, { timeZone: 'UTC', prices }))).toEqual(
        referenceStats(db, 'day', 'UTC', prices),
      );
      expect(rollupState(db).valid).toBe(0);
    } finally {
      await reader.close();
    }
  });
});
