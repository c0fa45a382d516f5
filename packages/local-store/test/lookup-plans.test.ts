/**
 * Two lookups that run on every database whatever its size, held to their indexes: the rows left to claim (the
 * first sync store opened on a database) and the search queue's turns (every writer's flush). Each used to scan
 * every turn to find none.
 */
import { describe, expect, it } from 'vitest';
import { flushSearchIndex, openLocalDatabase, SqliteSyncStore, SYNCED_TABLES } from '../src/index.js';
import { UNCLAIMED_ROWS } from '../src/migrations.js';
import { copyFixture, tempDir } from './helpers.js';

const plan = (db: ReturnType<typeof openLocalDatabase>, sql: string) =>
  (db.sqlite.prepare(`explain query plan ${sql}`).all() as { detail: string }[]).map((r) => r.detail);

describe('lookups that must not scan every turn', () => {
  it('finds the rows left to claim through a partial index on every synced table', async () => {
    const { dir, cleanup } = tempDir();
    const database = openLocalDatabase({ dir });
    try {
      for (const table of SYNCED_TABLES) {
        expect(plan(database, `update ${table} set device_id = 'd' where ${UNCLAIMED_ROWS}`)).toEqual([
          `SCAN ${table} USING INDEX idx_${table}_unclaimed`,
        ]);
      }
    } finally {
      await database.close();
      cleanup();
    }
  });

  it('still claims the rows of an upgraded earlier database, found through those indexes', async () => {
    const { dir, cleanup } = tempDir();
    const legacy = openLocalDatabase({ path: copyFixture('agentlogs-v6-upgraded-from-v5.db', dir) });
    try {
      const unclaimed = () =>
        SYNCED_TABLES.reduce(
          (n, table) =>
            n +
            (legacy.sqlite
              .prepare(
                `select count(*) from ${table} indexed by idx_${table}_unclaimed where ${UNCLAIMED_ROWS}`,
              )
              .pluck()
              .get() as number),
          0,
        );
      expect(unclaimed()).toBeGreaterThan(0);
      new SqliteSyncStore(legacy, { deviceId: 'device-l', machineId: 'machine-l' });
      expect(unclaimed()).toBe(0);
      expect(legacy.sqlite.prepare('select count(*) from turns where device_id is null').pluck().get()).toBe(
        0,
      );
    } finally {
      await legacy.close();
      cleanup();
    }
  });

  it('flushes the search queue by looking up its turns, not by scanning every turn', async () => {
    const { dir, cleanup } = tempDir();
    const database = openLocalDatabase({ dir });
    try {
      const statements: string[] = [];
      // The statement the flush prepares, as SQLite plans it.
      const prepare = database.sqlite.prepare.bind(database.sqlite);
      database.sqlite.prepare = ((sql: string) => {
        statements.push(sql);
        return prepare(sql);
      }) as typeof database.sqlite.prepare;
      flushSearchIndex(database.sqlite);
      database.sqlite.prepare = prepare;
      const insert = statements.find((s) => /insert into turn_search\b/.test(s));
      expect(insert).toBeDefined();
      const steps = plan(database, insert!);
      expect(steps[0]).toMatch(/^SCAN p\b/);
      expect(steps.some((s) => /^SCAN t\b/.test(s))).toBe(false);
    } finally {
      await database.close();
      cleanup();
    }
  });
});
