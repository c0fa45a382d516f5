/**
 * The content part of `pnpm bench` (`--only content`): what the content levels and end-to-end encryption cost the
 * push. The same turn rows as the sync part (from the synthetic tree, content included; one in 25 with a secret
 * planted, see `plantSecrets`) leave at `full`,
 * `metrics`, `redacted`, `full` + encryption and `redacted` + encryption: first the transformation alone
 * (`outgoingPayload`, the function the local store applies to every outgoing record), then the whole push
 * (SyncEngine → supabase-js → the PostgREST stand-in → PostgreSQL 17), each level for a user of its own.
 * Target: no level slows the push by more than 25% against `full`.
 */
import { deriveKey, getDefaultRuleset, newKdfParams } from '@agentlogs/content-policy';
import { type ContentEncryption, outgoingPayload } from '@agentlogs/local-store';
import { createSupabaseRemote } from '@agentlogs/supabase-remote';
import { isSyncError, SyncEngine, type SyncRecord } from '@agentlogs/sync-core';
import { MemoryLocalStore } from '@agentlogs/sync-core/testing';
import { startTestBackend } from '@agentlogs/test-backend';
import { SeededRandom } from './random.js';
import { benchTurnRows, PushOutbox, startStandInThread } from './sync-bench.js';

type Level = 'full' | 'metrics' | 'redacted';

interface Variant {
  name: string;
  level: Level;
  encrypted: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'full', level: 'full', encrypted: false },
  { name: 'metrics', level: 'metrics', encrypted: false },
  { name: 'redacted', level: 'redacted', encrypted: false },
  { name: 'full + encryption', level: 'full', encrypted: true },
  { name: 'redacted + encryption', level: 'redacted', encrypted: true },
];

export interface ContentBenchResult {
  available: true;
  rows: number;
  /** The transformation alone, in this process: rows/s of `outgoingPayload`, the median of 5 passes over the rows. */
  transform: { variant: string; rowsPerSecond: number; seconds: number }[];
  /**
   * The whole push of the transformed rows, median of `runs` (every sample kept); `slowdown` is 1 − rate / rate at
   * `full` (negative: faster).
   */
  push: {
    variant: string;
    rowsPerSecond: number;
    seconds: number;
    samples: number[];
    slowdown: number;
    /**
     * CPU time of this process per row pushed (µs, median over the runs): the client (transformation, supabase-js)
     * and the stand-in, which runs on a thread of it; PostgreSQL's own processes are not counted. Less sensitive to
     * the machine's load than the rates.
     */
    cpuMicrosPerRow: number;
  }[];
  runs: number;
  /** The most records one push transformed (once each: the rows, plus the probe of whether any is pending). */
  transformedPerPush: number;
  /** Rows redaction changed, and rows a secret was planted in (`plantSecrets`). */
  redactedFields: number;
  plantedRows: number;
  target: { maxSlowdown: number };
  met: boolean;
  table: string;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The push's view of the bench rows at one level: `outgoingPayload` applied as the engine asks for them. Records
 * the push has in flight (`skip`) are left out before the transformation, as the local store does: it redacts and
 * encrypts each record once per push, not again each time the push asks for more while a batch is on its way.
 */
class LevelOutbox extends PushOutbox {
  /** How many times a record was transformed. */
  transformed = 0;

  constructor(
    records: SyncRecord[],
    private readonly transform: (record: SyncRecord) => SyncRecord,
  ) {
    super(new MemoryLocalStore({ deviceId: 'bench-device-0001' }), records);
  }

  override async pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
    skip?: (table: string, id: string) => boolean;
  }): Promise<SyncRecord[]> {
    const skip = options.skip;
    const out: SyncRecord[] = [];
    for (const record of await super.pendingChanges(options)) {
      if (skip?.(record.table, record.id)) continue;
      this.transformed += 1;
      out.push(this.transform(record));
    }
    return out;
  }
}

export async function runContentBench(
  options: { log?: (line: string) => void; rows?: number; seed?: number; runs?: number } = {},
): Promise<ContentBenchResult> {
  const log = options.log ?? (() => {});
  const count = options.rows ?? Number(process.env.AGENTLOGS_BENCH_CONTENT_ROWS ?? 5_000);
  const runs = options.runs ?? 3;
  log(`content: building ${count} turn rows from the synthetic tree`);
  const records = benchTurnRows(count, options.seed ?? 1).map((r) => ({
    ...r,
    payload: { ...r.payload, content_state: null },
  }));
  const planted = plantSecrets(records, options.seed ?? 1);
  log('content: deriving the encryption key (scrypt, the default cost)');
  const key = await deriveKey('bench passphrase, not a secret', newKdfParams());
  const ruleset = getDefaultRuleset();
  const transformFor = (variant: Variant) => {
    const encryption: ContentEncryption | undefined = variant.encrypted ? { key } : undefined;
    return (record: SyncRecord): SyncRecord => ({
      ...record,
      payload: outgoingPayload('turns', record.id, record.payload, variant.level, ruleset, encryption)
        .payload,
    });
  };

  const transform: ContentBenchResult['transform'] = [];
  let redactedFields = 0;
  for (const variant of VARIANTS) {
    const apply = transformFor(variant);
    const passes: number[] = [];
    let redacted = 0;
    for (let pass = 0; pass < 5; pass += 1) {
      const start = process.hrtime.bigint();
      redacted = 0;
      for (const record of records) {
        const out = apply(record);
        if (typeof out.payload.content_state === 'string') redacted += 1;
      }
      passes.push(seconds(start));
    }
    const elapsed = median(passes);
    if (variant.name === 'redacted') redactedFields = redacted;
    transform.push({ variant: variant.name, seconds: elapsed, rowsPerSecond: records.length / elapsed });
  }

  log('content: starting PostgreSQL and the stand-in (schema pushed with the Supabase CLI)');
  const backend = await startTestBackend({ serverSettings: 'production-like' });
  const server = await startStandInThread(backend.databaseUrl, backend.jwtSecret);
  try {
    let mostTransformed = 0;
    const pushOnce = async (
      variant: Variant,
      round: number,
    ): Promise<{ elapsed: number; cpuMicros: number }> => {
      // A shared machine under load drops a connection now and then: such a push is run again from scratch.
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await pushOne(variant, `${round}-${attempt}`);
        } catch (error) {
          await backend.standIn.adminPool.query('truncate public.turns');
          if (attempt >= 3 || !isSyncError(error) || !error.transient) throw error;
          log(`content: push at ${variant.name} failed (${error.message}); running it again`);
        }
      }
    };
    const pushOne = async (variant: Variant, round: string) => {
      const user = await backend.createUser({ githubLogin: `bench-content-${round}` });
      const remote = createSupabaseRemote({
        url: server.url,
        anonKey: server.anonKey,
        accessToken: async () => user.accessToken,
        timeoutMs: 300_000,
      });
      const store = new LevelOutbox(records, transformFor(variant));
      const engine = new SyncEngine({ store, remote, tables: ['turns'] });
      log(`content: push at ${variant.name} (${round})`);
      const start = process.hrtime.bigint();
      const cpuStart = process.cpuUsage();
      const report = await engine.push();
      const elapsed = seconds(start);
      const cpu = process.cpuUsage(cpuStart);
      if (report.accepted !== records.length)
        throw new Error(`push at ${variant.name} accepted ${report.accepted} of ${records.length}`);
      // Each push starts from an empty table: a table growing over the rounds would slow the later pushes.
      await backend.standIn.adminPool.query('truncate public.turns');
      await backend.standIn.adminPool.query('vacuum analyze public.turns');
      mostTransformed = Math.max(mostTransformed, store.transformed);
      return { elapsed, cpuMicros: cpu.user + cpu.system };
    };
    // Every level once per round, the order rotated each round, so a drift of the shared machine spreads over
    // all of them; each level's figure is its median over the rounds.
    const rounds = runs;
    const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
    const cpuSamples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < VARIANTS.length; i += 1) {
        const variant = VARIANTS[(i + round) % VARIANTS.length]!;
        const { elapsed, cpuMicros } = await pushOnce(variant, round * VARIANTS.length + i);
        samples.get(variant.name)!.push(records.length / elapsed);
        cpuSamples.get(variant.name)!.push(cpuMicros / records.length);
      }
    }
    const baseline = median(samples.get('full')!);
    const push = VARIANTS.map((variant) => {
      const rowsPerSecond = median(samples.get(variant.name)!);
      return {
        variant: variant.name,
        seconds: records.length / rowsPerSecond,
        rowsPerSecond,
        samples: samples.get(variant.name)!,
        slowdown: 1 - rowsPerSecond / baseline,
        cpuMicrosPerRow: median(cpuSamples.get(variant.name)!),
      };
    });
    const maxSlowdown = 0.25;
    const result: Omit<ContentBenchResult, 'table'> = {
      available: true,
      rows: records.length,
      transform,
      push,
      runs: rounds,
      transformedPerPush: mostTransformed,
      redactedFields,
      plantedRows: planted.length,
      target: { maxSlowdown },
      met: push.every((p) => p.slowdown <= maxSlowdown),
    };
    return { ...result, table: formatContentBench(result) };
  } finally {
    await server.close();
    await backend.close();
  }
}

function formatContentBench(r: Omit<ContentBenchResult, 'table'>): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const lines = [
    `${n(r.rows)} turn rows, ${n(r.plantedRows)} with a planted secret; redaction changed ${n(r.redactedFields)} of them; encryption: AES-256-GCM per field, key derived once`,
    '',
    '| level | transform alone rows/s | push rows/s | push slowdown vs full | target ≤ 25% | push CPU µs/row (this process) |',
    '|---|---:|---:|---:|---|---:|',
  ];
  for (const p of r.push) {
    const t = r.transform.find((x) => x.variant === p.variant)!;
    const mark = p.variant === 'full' ? 'baseline' : p.slowdown <= r.target.maxSlowdown ? 'met' : 'missed';
    lines.push(
      `| ${p.variant} | ${n(t.rowsPerSecond)} | ${n(p.rowsPerSecond)} | ${p.variant === 'full' ? '—' : pct(p.slowdown)} | ${mark} | ${n(p.cpuMicrosPerRow)} |`,
    );
  }
  lines.push(
    '',
    `push: median of ${r.runs} runs per level, levels interleaved; at most ${n(r.transformedPerPush)} records transformed per push; samples (rows/s): ${r.push
      .map((p) => `${p.variant} ${p.samples.map(n).join(' ')}`)
      .join('; ')}`,
  );
  return lines.join('\n');
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Secrets as transcripts hold them now and then (a `.env` file read, a connection string in a command, a token
 * pasted in a prompt): one row in 25 gets one, in its text or, every other time, in its tool calls, so redaction has
 * something to replace. Built from the seed at run time: the repository holds no string a secret scanner would
 * take for a credential. Returns the secret values planted (the rows are changed in place).
 */
export function plantSecrets(records: SyncRecord[], seed: number): string[] {
  const random = new SeededRandom(seed, 0x5ec7e7);
  const chars = (alphabet: string, length: number) =>
    Array.from({ length }, () => random.pick([...alphabet])).join('');
  const secrets: (() => [line: string, value: string])[] = [
    () => {
      const password = chars(ALNUM, 16);
      return [`DATABASE_URL=postgres://app:${password}@db.internal:5432/app`, password];
    },
    () => {
      const key = `${'sk'}-proj-${chars(ALNUM, 48)}`;
      return [`export OPENAI_API_KEY=${key}`, key];
    },
    () => {
      const token = chars(ALNUM, 40);
      return [`curl -H "Authorization: Bearer ${token}" https://api.example.com/v1/me`, token];
    },
    () => {
      const token = `${'ghp'}_${chars(ALNUM, 36)}`;
      return [`use the token ${token} for the CI job`, token];
    },
    () => {
      const id = `${'AKIA'}${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
      return [`aws configure set aws_access_key_id ${id}`, id];
    },
  ];
  const planted: string[] = [];
  let intoCalls = false;
  for (const [index, record] of records.entries()) {
    if (index % 25 !== 12) continue;
    const [line, value] = random.pick(secrets)();
    const payload = record.payload as Record<string, unknown>;
    intoCalls = !intoCalls;
    const calls =
      typeof payload.tool_calls === 'string'
        ? (JSON.parse(payload.tool_calls) as { input?: Record<string, unknown> }[])
        : [];
    const hasText = typeof payload.content === 'string';
    if (calls[0] !== undefined && (intoCalls || !hasText)) {
      calls[0].input = { ...calls[0].input, note: line };
      payload.tool_calls = JSON.stringify(calls);
    } else if (hasText) {
      payload.content = `${payload.content}\n${line}\n`;
    } else {
      continue;
    }
    planted.push(value);
  }
  return planted;
}
