import { describe, expect, it, vi } from 'vitest';
import { rowId } from '../src/ids.js';
import { PriceTable } from '../src/pricing.js';
import { RecordBatch, type TurnRecord } from '../src/records.js';
import { computeStats, localDateFormatter } from '../src/stats.js';
import { TranscriptWriter } from '../src/writer.js';
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

describe('localDateFormatter', () => {
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
    for (const zone of zones) {
      const local = localDateFormatter(zone);
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
        if (local(iso) !== expected) mismatches.push(`${zone} ${iso}: ${local(iso)} != ${expected}`);
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    }
  }, 60_000);
});
