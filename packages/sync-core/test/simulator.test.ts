import { describe, expect, it } from 'vitest';
import { runSimulation, SimulationFailure, type SimulationStats } from '../src/testing/index.js';

const single = process.env.SIM_SEED;
const count = Number(process.env.SIM_SEEDS ?? 1000);
const first = Number(process.env.SIM_FROM ?? 1);
const seeds = single !== undefined ? [Number(single)] : Array.from({ length: count }, (_, i) => first + i);

describe('multi-machine simulation', () => {
  it(`converges for ${seeds.length} seed(s) with faults, offline periods, skewed clocks and purges`, async () => {
    const totals = {
      writes: 0,
      deletes: 0,
      syncs: 0,
      fullResyncs: 0,
      purged: 0,
      rejected: 0,
      deadLettered: 0,
      longAbsence: 0,
    };
    const faults: Record<string, number> = {};
    for (const seed of seeds) {
      let stats: SimulationStats;
      try {
        stats = await runSimulation({ seed });
      } catch (error) {
        if (error instanceof SimulationFailure) {
          // The message names the seed and how to replay it.
          throw new Error(error.message);
        }
        throw error;
      }
      totals.writes += stats.writes;
      totals.deletes += stats.deletes;
      totals.syncs += stats.syncs;
      totals.fullResyncs += stats.fullResyncs;
      totals.purged += stats.purged;
      totals.rejected += stats.rejected;
      totals.deadLettered += stats.deadLettered;
      totals.longAbsence += stats.longAbsence ? 1 : 0;
      for (const [kind, n] of Object.entries(stats.faults)) faults[kind] = (faults[kind] ?? 0) + n;
    }
    console.log(`simulated ${seeds.length} seed(s):`, JSON.stringify({ ...totals, faults }));
    // Every fault kind and every hard path was exercised, not just the happy one.
    if (seeds.length >= 100) {
      for (const kind of [
        'requestLost',
        'responseLost',
        'killedBeforeAck',
        'duplicated',
        'delayed',
        'unavailable',
        'staleResponse',
      ]) {
        expect(faults[kind], kind).toBeGreaterThan(0);
      }
      expect(totals.fullResyncs).toBeGreaterThan(0);
      expect(totals.purged).toBeGreaterThan(0);
      expect(totals.rejected).toBeGreaterThan(0);
      expect(totals.deadLettered).toBeGreaterThan(0);
    }
  }, 600_000);
});
