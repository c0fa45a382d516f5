/** The import's own tables: cursors and folder listings round-trip, and the run's settings are restored. */
import { afterEach, describe, expect, it } from 'vitest';
import { ImportCursors, type LocalDatabase, openLocalDatabase, TranscriptImport } from '../src/index.js';
import { tempDir } from './helpers.js';

let database: LocalDatabase;
let cleanup: () => void;

function open(): LocalDatabase {
  const dir = tempDir();
  cleanup = dir.cleanup;
  database = openLocalDatabase({ dir: dir.dir });
  return database;
}

afterEach(async () => {
  await database.close();
  cleanup();
});

describe('ImportCursors', () => {
  it('stores a cursor and reads it back whole, and every size and mtime in one read', () => {
    const cursors = new ImportCursors(open().sqlite);
    expect(cursors.get('/t/a.jsonl')).toBeUndefined();
    const cursor = {
      path: '/t/a.jsonl',
      source: 'claude_code',
      size: 120,
      mtimeMs: 1_700_000_000_000,
      byteOffset: 100,
      lineCount: 3,
      headHash: 'h:t',
      sessionId: 's',
      state: '{"pendingGitCalls":[]}',
      malformedLines: 1,
    };
    cursors.save(cursor, '2026-11-01T00:00:00Z');
    cursors.save(
      { ...cursor, path: '/t/b.jsonl', size: 7, sessionId: null, state: null },
      '2026-11-01T00:00:00Z',
    );
    expect(cursors.get('/t/a.jsonl')).toEqual(cursor);
    expect([...cursors.sizes()]).toEqual([
      ['/t/a.jsonl', [120, 1_700_000_000_000]],
      ['/t/b.jsonl', [7, 1_700_000_000_000]],
    ]);
    cursors.save({ ...cursor, byteOffset: 120, lineCount: 4 }, '2026-11-02T00:00:00Z');
    expect(cursors.get('/t/a.jsonl')).toMatchObject({ byteOffset: 120, lineCount: 4 });
  });

  it('stores folder listings; an unreadable one is left out (listed again)', () => {
    const db = open().sqlite;
    const cursors = new ImportCursors(db);
    const listing = { mtimeMs: 1.5, listedAtMs: 10_000, folders: ['p'], files: ['a.jsonl'] };
    cursors.storeFolderListings(new Map([['/t', listing]]));
    db.prepare(
      "insert into import_folders (path, mtime_ms, listed_at_ms, folders, files) values ('/u', 1, 2, 'not json', '[]')",
    ).run();
    expect([...cursors.folderListings()]).toEqual([['/t', listing]]);
  });
});

describe('TranscriptImport', () => {
  it('restores wal_autocheckpoint when it finishes, and commits the open group', () => {
    const db = open().sqlite;
    const before = db.pragma('wal_autocheckpoint', { simple: true });
    const run = new TranscriptImport(db, { deviceId: 'd', machineId: 'm', now: '2026-11-01T00:00:00Z' });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    run.beginGroup();
    run.cursors.save(
      {
        path: '/t/a.jsonl',
        source: 'codex',
        size: 1,
        mtimeMs: 1,
        byteOffset: 1,
        lineCount: 1,
        headHash: null,
        sessionId: null,
        state: null,
        malformedLines: 0,
      },
      '2026-11-01T00:00:00Z',
    );
    expect(db.inTransaction).toBe(true);
    run.finish();
    expect(db.inTransaction).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(before);
    expect(new ImportCursors(db).get('/t/a.jsonl')).toMatchObject({ source: 'codex' });
  });
});
