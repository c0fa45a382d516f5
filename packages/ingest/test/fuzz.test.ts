import { describe, expect, it, vi } from 'vitest';
import { runFuzz } from '../fuzz/harness.js';
import { tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 120_000 });

/** Fixed seeds keep CI repeatable; `FUZZ_SEED=<n>` replays (or explores) another one. */
const SEEDS = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : [20261204, 7];
const LINES = 20_000 / SEEDS.length;

describe('fuzzed transcript lines', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${LINES} random and adversarial lines import without a crash or a failed file; totals stay sane`, async () => {
      const r = await runFuzz({ seed, lines: LINES, dir: tempDir('agentlogs-fuzz-'), linesPerFile: 1_000 });
      const replay = `replay with FUZZ_SEED=${seed}`;
      expect(r.crashes, replay).toEqual([]);
      expect(r.problems, replay).toEqual([]);
      expect(r.filesFailed, replay).toBe(0);
      // The run exercised both kinds of line: many were refused, many became turns.
      expect(r.malformedLines, replay).toBeGreaterThan(LINES / 20);
      expect(r.turns, replay).toBeGreaterThan(LINES / 4);
      const t = r.totals!;
      for (const v of [t.input_tokens, t.output_tokens, t.cache_creation_tokens, t.cache_read_tokens]) {
        expect(Number.isSafeInteger(v) && v > 0, replay).toBe(true);
      }
      expect(Number.isFinite(t.cost_usd) && t.cost_usd > 0, replay).toBe(true);
    });
  }
});
