/**
 * The large fuzz run: `pnpm --filter @agentlogs/ingest fuzz [--lines N] [--seed S] [--keep]`. Generates N fuzzed
 * transcript lines (default 1,000,000) from seed S (default: random, printed), imports them into a fresh store,
 * and prints the line count, crashes, malformed lines and the stats totals. Exits 1 when an invariant breaks, with
 * the command that replays the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPriceTable } from '../src/pricing.js';
import { runFuzz } from './harness.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const lines = Number(arg('lines') ?? 1_000_000);
const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 32));
const keep = process.argv.includes('--keep');
if (!Number.isSafeInteger(lines) || lines <= 0 || !Number.isSafeInteger(seed) || seed < 0) {
  console.error('Usage: fuzz [--lines <positive whole number>] [--seed <whole number>] [--keep]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'agentlogs-fuzz-'));
const replay = `pnpm --filter @agentlogs/ingest fuzz --lines ${lines} --seed ${seed}`;
console.log(`seed ${seed}: ${lines.toLocaleString('en')} lines in ${dir}`);
try {
  // Compiled to fuzz/dist/fuzz/: the package's vendored price table is three folders up.
  const prices = loadPriceTable(fileURLToPath(new URL('../../../data/prices.json', import.meta.url)));
  const r = await runFuzz({ seed, lines, dir, linesPerFile: 2_000, prices });
  console.log(`files:          ${r.files.toLocaleString('en')} (${(r.bytes / 1024 / 1024).toFixed(1)} MiB)`);
  console.log(`lines read:     ${r.linesRead.toLocaleString('en')}`);
  console.log(`import:         ${(r.importMs / 1000).toFixed(1)} s`);
  console.log(`crashes:        ${r.crashes.length}`);
  console.log(`failed files:   ${r.filesFailed}`);
  console.log(`malformed:      ${r.malformedLines.toLocaleString('en')} lines`);
  console.log('  reasons of the first lines reported:');
  for (const [reason, n] of [...r.reasons].sort((a, b) => b[1] - a[1])) console.log(`  ${n}× ${reason}`);
  console.log(`turns stored:   ${r.turns.toLocaleString('en')}`);
  const { unpriced_models: unpriced, ...totals } = r.totals ?? { unpriced_models: [] };
  console.log(
    `totals:         ${r.totals ? JSON.stringify(totals) : 'none'} (${unpriced.length} unpriced models)`,
  );
  for (const c of r.crashes) console.log(`CRASH ${c}`);
  for (const p of r.problems) console.log(`PROBLEM ${p}`);
  if (r.crashes.length > 0 || r.problems.length > 0) {
    console.log(`FAILED: replay with ${replay}`);
    process.exitCode = 1;
  } else {
    console.log('ok');
  }
} catch (error) {
  console.log(`CRASH ${error instanceof Error ? error.stack : String(error)}`);
  console.log(`FAILED: replay with ${replay}`);
  process.exitCode = 1;
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
