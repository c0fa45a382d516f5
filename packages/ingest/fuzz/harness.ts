import { isUtf8 } from 'node:buffer';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { type ImportResult, importTranscripts } from '../src/import.js';
import type { PriceTable } from '../src/pricing.js';
import { computeStats, type StatsFigures } from '../src/stats.js';
import { MAX_COST_USD_PER_CALL, MAX_TOKENS_PER_CALL } from '../src/usage.js';
import { LineFuzzer } from './generator.js';

export interface FuzzOptions {
  seed: number;
  /** Lines to generate (spread over files of about `linesPerFile`). */
  lines: number;
  linesPerFile?: number;
  /** An empty folder for the transcripts and the store. */
  dir: string;
  /** The price table stats use (default: the vendored one). */
  prices?: PriceTable;
}

export interface FuzzReport {
  seed: number;
  lines: number;
  files: number;
  bytes: number;
  /** Errors that escaped the importer or stats (each one a bug). */
  crashes: string[];
  filesFailed: number;
  linesRead: number;
  malformedLines: number;
  /** The first malformed-line reasons, with how often each was seen among the reported ones. */
  reasons: Map<string, number>;
  turns: number;
  totals: StatsFigures | null;
  importMs: number;
  /** Broken invariants (each one a bug): non-finite or out-of-bound figures, bad stored text, a re-import that wrote. */
  problems: string[];
}

/** Writes the fuzzed transcripts: Claude Code files under `claude/projects`, Codex rollouts under `codex/sessions`. */
export function writeFuzzTree(options: FuzzOptions): {
  claudeRoot: string;
  codexRoot: string;
  files: number;
  bytes: number;
} {
  const fuzzer = new LineFuzzer(options.seed);
  const r = fuzzer.random;
  const perFile = options.linesPerFile ?? 2_000;
  const claudeRoot = join(options.dir, 'claude', 'projects');
  const codexRoot = join(options.dir, 'codex', 'sessions');
  let written = 0;
  let files = 0;
  let bytes = 0;
  while (written < options.lines) {
    const n = Math.min(options.lines - written, 1 + r.int(perFile * 2));
    const codex = r.chance(0.35);
    const folder = codex
      ? join(codexRoot, '2026', String(1 + (files % 12)).padStart(2, '0'))
      : join(claudeRoot, `p${files % 7}`);
    mkdirSync(folder, { recursive: true });
    const name = codex ? `rollout-${files}.jsonl` : `${r.uuid()}.jsonl`;
    fuzzer.newFile();
    const fd = openSync(join(folder, name), 'w');
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for (let i = 0; i < n; i++) {
        let line = codex ? fuzzer.codexLine() : fuzzer.claudeLine();
        // Some files end in the middle of being written: no newline after the last line.
        if (i === n - 1 && r.chance(0.2)) line = line.subarray(0, line.length - 1);
        pending.push(line);
        pendingBytes += line.length;
        if (pendingBytes > 4 << 20 || i === n - 1) {
          writeSync(fd, Buffer.concat(pending, pendingBytes));
          bytes += pendingBytes;
          pending = [];
          pendingBytes = 0;
        }
      }
    } finally {
      closeSync(fd);
    }
    written += n;
    files++;
  }
  return { claudeRoot, codexRoot, files, bytes };
}

const DEVICE = '5e1f0c2a-9b7d-4c3e-8a6f-1d2e3f4a5b6c';
const TOKEN_COLUMNS = [
  'input_tokens',
  'output_tokens',
  'cache_creation_tokens',
  'cache_creation_1h_tokens',
  'cache_read_tokens',
  'reasoning_tokens',
];

/**
 * Generates `options.lines` fuzzed lines, imports them into a fresh store, computes stats, imports again, and
 * checks what must hold for any input: nothing throws, no file fails, every stored count is a whole number within
 * its bound, every total is finite, non-negative and whole, no stored text holds a NUL or invalid UTF-8 (a lone
 * surrogate), and the second import writes nothing.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const tree = writeFuzzTree(options);
  const report: FuzzReport = {
    seed: options.seed,
    lines: options.lines,
    files: tree.files,
    bytes: tree.bytes,
    crashes: [],
    filesFailed: 0,
    linesRead: 0,
    malformedLines: 0,
    reasons: new Map(),
    turns: 0,
    totals: null,
    importMs: 0,
    problems: [],
  };
  const db = openLocalDatabase({ dir: join(options.dir, 'store') });
  try {
    const importOnce = (): ImportResult | null => {
      try {
        return importTranscripts(db.sqlite, {
          roots: { claude_code: [tree.claudeRoot], codex: [tree.codexRoot] },
          deviceId: DEVICE,
          now: () => new Date('2026-12-01T00:00:00Z'),
        });
      } catch (error) {
        report.crashes.push(
          `import: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return null;
      }
    };
    const started = performance.now();
    const first = importOnce();
    report.importMs = Math.round(performance.now() - started);
    if (first) {
      report.filesFailed = first.filesFailed.length;
      for (const f of first.filesFailed) report.problems.push(`file failed: ${f.path}: ${f.error}`);
      report.linesRead = first.linesRead;
      report.malformedLines = first.malformedLines;
      for (const m of first.malformed) {
        const reason = m.reason.replace(/\d+/g, 'N');
        report.reasons.set(reason, (report.reasons.get(reason) ?? 0) + 1);
      }
    }
    try {
      const stats = computeStats(db.sqlite, { prices: options.prices });
      report.totals = stats.totals;
      checkFigures('totals', stats.totals, report.problems);
      for (const row of stats.rows) checkFigures(`row ${row.key}`, row, report.problems);
      for (const by of ['model', 'session', 'month'] as const) {
        for (const row of computeStats(db.sqlite, { by, prices: options.prices }).rows)
          checkFigures(`${by} ${row.key}`, row, report.problems);
      }
    } catch (error) {
      report.crashes.push(
        `stats: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    report.turns = (db.sqlite.prepare('select count(*) from turns').pluck().get() as number) ?? 0;
    checkStoredCounts(db.sqlite, report.problems);
    checkStoredText(db.sqlite, report.problems);
    const second = importOnce();
    if (second && (second.filesRead !== 0 || second.turnsAdded !== 0 || second.turnsUpdated !== 0)) {
      report.problems.push(
        `re-import was not a no-op: ${second.filesRead} files read, ${second.turnsAdded} turns added, ${second.turnsUpdated} updated`,
      );
    }
  } finally {
    await db.close();
  }
  return report;
}

function checkFigures(where: string, f: StatsFigures, problems: string[]): void {
  const tokenBound = Math.max(1, f.turns) * 2 * MAX_TOKENS_PER_CALL;
  for (const key of [
    'input_tokens',
    'output_tokens',
    'cache_creation_tokens',
    'cache_read_tokens',
  ] as const) {
    const v = f[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > tokenBound) {
      problems.push(`${where}: ${key} is ${JSON.stringify(v)} (${v})`);
    }
  }
  const cost = f.cost_usd;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)
    problems.push(`${where}: cost_usd is ${cost}`);
  if (!Number.isSafeInteger(f.turns) || f.turns < 0) problems.push(`${where}: turns is ${f.turns}`);
}

function checkStoredCounts(sqlite: ReturnType<typeof openLocalDatabase>['sqlite'], problems: string[]): void {
  for (const column of TOKEN_COLUMNS) {
    const bound = column === 'cache_creation_tokens' ? 2 * MAX_TOKENS_PER_CALL : MAX_TOKENS_PER_CALL;
    const bad = sqlite
      .prepare(
        `select count(*) from turns where not (typeof(${column}) = 'integer' and ${column} between 0 and ${bound})`,
      )
      .pluck()
      .get() as number;
    if (bad > 0) problems.push(`${bad} turns with ${column} that is not a whole number from 0 to ${bound}`);
  }
  const badCost = sqlite
    .prepare(
      `select count(*) from turns where cost_usd is not null
         and not (typeof(cost_usd) in ('integer', 'real') and cost_usd between 0 and ${MAX_COST_USD_PER_CALL})`,
    )
    .pluck()
    .get() as number;
  if (badCost > 0) problems.push(`${badCost} turns with a cost_usd out of bounds`);
}

/** Every text column of the imported tables, read as stored bytes: no NUL byte, valid UTF-8 (no lone surrogate). */
function checkStoredText(sqlite: ReturnType<typeof openLocalDatabase>['sqlite'], problems: string[]): void {
  for (const table of ['projects', 'sessions', 'cognitive_commits', 'turns']) {
    const columns = (sqlite.prepare(`pragma table_info(${table})`).all() as { name: string; type: string }[])
      .filter((c) => c.type.toLowerCase() === 'text')
      .map((c) => c.name);
    for (const column of columns) {
      let nul = 0;
      let invalid = 0;
      const rows = sqlite
        .prepare(`select cast(${column} as blob) from ${table} where ${column} is not null`)
        .pluck()
        .iterate() as Iterable<Buffer>;
      for (const bytes of rows) {
        if (bytes.includes(0)) nul++;
        if (!isUtf8(bytes)) invalid++;
      }
      if (nul > 0) problems.push(`${table}.${column}: ${nul} values hold a NUL`);
      if (invalid > 0)
        problems.push(`${table}.${column}: ${invalid} values are not valid UTF-8 (lone surrogates)`);
    }
  }
}
