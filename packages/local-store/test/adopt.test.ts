import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptLegacyDatabase, legacyAdoptionPending, legacyBackupDir } from '../src/adopt.js';
import { openLocalDatabase } from '../src/open.js';
import { copyFixture, type Row, readAllRows, tempDir } from './helpers.js';

/** Databases written by the earlier CLI's own `import` (fixtures/legacy/README.md). */
const CLI_DATABASES = [
  { file: 'cli-v6.db', version: 6 },
  { file: 'cli-v5.db', version: 5 },
  { file: 'cli-v5-then-v6.db', version: 6 },
];

/** The tables and columns of the earlier schema (v1–v6) whose values an adoption must keep. */
const LEGACY_TABLES = ['cognitive_commits', 'sessions', 'turns', 'visuals', 'daemon_state'] as const;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('adopting a database written by the earlier CLI', () => {
  for (const { file, version } of CLI_DATABASES) {
    it(`${file}: every original row and value is in the adopted database; the file is left as it was`, async () => {
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      const legacyPath = copyFixture(file, dir);
      const before = sha(legacyPath);
      const original = readAllRows(legacyPath);
      expect(original.turns!.length).toBeGreaterThan(0);

      const dataDir = join(dir, 'data');
      const store = openLocalDatabase({ dir: dataDir });
      try {
        expect(legacyAdoptionPending(store, legacyPath)).toBe(true);
        const adopted = adoptLegacyDatabase({ store, legacyPath, backupDir: legacyBackupDir(dataDir) });
        expect(adopted).not.toBeNull();
        expect(adopted!.schemaVersion).toBe(version);
        expect(adopted!.counts.turns).toBe(original.turns!.length);
        expect(adopted!.counts.sessions).toBe(original.sessions!.length);
        expect(adopted!.counts.cognitive_commits).toBe(original.cognitive_commits!.length);

        // The original is untouched; the backup holds the same bytes.
        expect(sha(legacyPath)).toBe(before);
        expect(sha(adopted!.backupPath)).toBe(before);
        expect(readdirSync(legacyBackupDir(dataDir))).toEqual([adopted!.backupPath.split(/[\\/]/).pop()]);

        // Every row of every earlier table, every column, by its earlier id (kept in `legacy_id` when re-keyed).
        const db = store.sqlite;
        const idMap: Record<string, Map<string, string>> = {};
        for (const table of ['cognitive_commits', 'sessions', 'turns']) {
          idMap[table] = new Map(
            (
              db.prepare(`select id, coalesce(legacy_id, id) as old from ${table}`).all() as {
                id: string;
                old: string;
              }[]
            ).map((r) => [r.old, r.id]),
          );
        }
        const references: Record<string, Record<string, string>> = {
          sessions: { commit_id: 'cognitive_commits' },
          turns: { session_id: 'sessions' },
          visuals: { commit_id: 'cognitive_commits' },
        };
        for (const table of LEGACY_TABLES) {
          for (const row of original[table] ?? []) {
            const key = table === 'daemon_state' ? 'key' : 'id';
            const oldId = row[key] as string;
            const newId = idMap[table]?.get(oldId) ?? oldId;
            const adoptedRow = db.prepare(`select * from ${table} where ${key} = ?`).get(newId) as
              | Row
              | undefined;
            expect(adoptedRow, `${table} ${oldId}`).toBeDefined();
            for (const [column, value] of Object.entries(row)) {
              if (column === key) continue;
              const target = references[table]?.[column];
              const expected =
                target && typeof value === 'string' ? (idMap[target]!.get(value) ?? value) : value;
              expect(adoptedRow![column], `${table} ${oldId} ${column}`).toEqual(expected);
            }
          }
        }

        // Adopted once: the next open finds it recorded.
        expect(legacyAdoptionPending(store, legacyPath)).toBe(false);
        expect(adoptLegacyDatabase({ store, legacyPath, backupDir: legacyBackupDir(dataDir) })).toBeNull();
        expect((db.prepare('select count(*) as n from turns').get() as { n: number }).n).toBe(
          original.turns!.length,
        );
      } finally {
        await store.close();
      }
    });
  }

  it('links the turns of commits whose started_at the earlier CLI wrote after their closed_at', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const legacyPath = copyFixture('cli-v6.db', dir);
    const original = readAllRows(legacyPath);
    const wrong = original.cognitive_commits!.filter(
      (c) => (c.started_at as string) > (c.closed_at as string),
    );
    expect(wrong.length).toBeGreaterThan(0);
    const store = openLocalDatabase({ path: legacyPath });
    try {
      const db = store.sqlite;
      const turnless = db
        .prepare(
          `select coalesce(legacy_id, id) as id from cognitive_commits c
            where not exists (select 1 from turns t where t.commit_id = c.id)`,
        )
        .all();
      expect(turnless).toEqual([]);
      for (const commit of wrong) {
        const row = db
          .prepare(
            `select count(*) as n, max(t.timestamp) as last from turns t join cognitive_commits c on c.id = t.commit_id
              where c.legacy_id = ?`,
          )
          .get(commit.id) as { n: number; last: string };
        expect(row.n).toBeGreaterThan(0);
        expect(row.last <= (commit.closed_at as string)).toBe(true);
      }
      // Every turn of the earlier CLI belongs to a commit.
      expect(db.prepare('select count(*) as n from turns where commit_id is null').get()).toEqual({ n: 0 });
    } finally {
      await store.close();
    }
  });

  it('an unreadable file is reported, not adopted, and left as it was', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const legacyPath = join(dir, 'data.db');
    writeFileSync(legacyPath, 'not a database');
    const dataDir = join(dir, 'data');
    const store = openLocalDatabase({ dir: dataDir });
    try {
      expect(() => adoptLegacyDatabase({ store, legacyPath, backupDir: legacyBackupDir(dataDir) })).toThrow(
        /Cannot adopt the earlier agentlogs database .*data\.db .*left unchanged/,
      );
      expect(readFileSync(legacyPath, 'utf8')).toBe('not a database');
      expect(legacyAdoptionPending(store, legacyPath)).toBe(true);
      expect(readdirSync(legacyBackupDir(dataDir))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
