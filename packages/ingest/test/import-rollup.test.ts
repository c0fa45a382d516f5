import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildUsageRollup, stringifyRollup } from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import { claudeCode } from '../src/agents/index.js';
import { importTranscripts } from '../src/import.js';
import { claudeSessionFiles, importTranscriptFiles } from '../src/import-files.js';
import { loadPriceTable } from '../src/pricing.js';
import { computeStats } from '../src/stats.js';
import { DEVICE, freshStore, SESSION, TRANSCRIPTS, spotterTree as tree } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

const now = () => new Date('2026-11-01T00:00:00Z');
const prices = loadPriceTable();

type Store = ReturnType<typeof freshStore>;

const rollupState = (db: Store) =>
  db.sqlite.prepare('select valid, prices, data from usage_rollup').get() as {
    valid: number;
    prices: string | null;
    data: string | null;
  };

/** The rollup as a fresh build from the turns gives it, as stored. */
const rebuilt = (db: Store) => JSON.parse(stringifyRollup(buildUsageRollup(db.sqlite, prices)));

describe('the usage rollup after an import', () => {
  it('is built by an import given prices, equal to a fresh build, and stats reads it as it is', () => {
    const { root } = tree();
    const db = freshStore();
    const result = importTranscripts(db.sqlite, {
      roots: { claude_code: [root] },
      deviceId: DEVICE,
      now,
      prices,
    });
    expect(result.turnsAdded).toBeGreaterThan(0);
    const state = rollupState(db);
    expect(state).toMatchObject({ valid: 1, prices: prices.fingerprint });
    expect(JSON.parse(state.data!)).toEqual(rebuilt(db));
    // The stats of the stored rollup are those of a database whose rollup stats rebuilds itself.
    const fromImport = computeStats(db.sqlite, { by: 'session', timeZone: 'UTC', prices });
    expect(rollupState(db).data).toBe(state.data);
    db.sqlite.exec('update usage_rollup set valid = 0');
    expect(computeStats(db.sqlite, { by: 'session', timeZone: 'UTC', prices })).toEqual(fromImport);
    expect(fromImport.rows.length).toBe(2);
  });

  it('is brought up to date by a later import that changed turns, and left alone by one that changed none', () => {
    const { root, dir } = tree();
    const db = freshStore();
    const run = () =>
      importTranscripts(db.sqlite, { roots: { claude_code: [root] }, deviceId: DEVICE, now, prices });
    run();
    const first = rollupState(db).data;
    // Nothing new: the rollup stays as it was stored (not rebuilt, not made stale).
    expect(run()).toMatchObject({ filesRead: 0 });
    expect(rollupState(db)).toMatchObject({ valid: 1, data: first });
    appendFileSync(
      join(dir, `${SESSION}.jsonl`),
      readFileSync(join(TRANSCRIPTS, 'marot-spotter', 'short.jsonl')),
    );
    expect(run().turnsAdded).toBeGreaterThan(0);
    const grown = rollupState(db);
    expect(grown.valid).toBe(1);
    expect(grown.data).not.toBe(first);
    expect(JSON.parse(grown.data!)).toEqual(rebuilt(db));
  });

  it('stays stale after an import without prices or a deferred one, for the next reader to rebuild', () => {
    const { root, dir } = tree();
    const plain = freshStore();
    importTranscripts(plain.sqlite, { roots: { claude_code: [root] }, deviceId: DEVICE, now });
    expect(rollupState(plain).valid).toBe(0);

    const hooked = freshStore();
    importTranscriptFiles(hooked.sqlite, {
      files: [{ agent: claudeCode, ...claudeSessionFiles(join(dir, `${SESSION}.jsonl`)) }],
      deviceId: DEVICE,
      now,
      prices,
      deferred: true,
    });
    expect(rollupState(hooked).valid).toBe(0);
    computeStats(hooked.sqlite, { timeZone: 'UTC', prices });
    expect(rollupState(hooked)).toMatchObject({ valid: 1, prices: prices.fingerprint });
    expect(JSON.parse(rollupState(hooked).data!)).toEqual(rebuilt(hooked));
  });
});
