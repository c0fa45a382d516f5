import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectDatabase } from '../src/health.js';
import { ImportCursors } from '../src/import-cursors.js';
import { LATEST_SCHEMA_VERSION } from '../src/migrations.js';
import { DATABASE_FILE_NAME, openLocalDatabase } from '../src/open.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'agentlogs-health-'));
  dirs.push(d);
  return d;
}

describe('inspectDatabase', () => {
  it('reports a missing database without creating it', () => {
    const dir = temp();
    const r = inspectDatabase(dir);
    expect(r).toMatchObject({ exists: false, schemaVersion: 0, error: null, importedFiles: [] });
    expect(inspectDatabase(dir).exists).toBe(false);
  });

  it('reads the version, the quick check and the import cursors, and changes nothing', async () => {
    const dir = temp();
    const db = openLocalDatabase({ dir });
    new ImportCursors(db.sqlite).save(
      {
        path: '/t/a.jsonl',
        source: 'claude_code',
        size: 10,
        mtimeMs: 5,
        byteOffset: 8,
        lineCount: 1,
        headHash: null,
        sessionId: 's1',
        state: null,
        malformedLines: 0,
      },
      '2026-11-01T00:00:00Z',
    );
    await db.close();
    const r = inspectDatabase(dir);
    expect(r).toMatchObject({
      exists: true,
      schemaVersion: LATEST_SCHEMA_VERSION,
      quickCheck: ['ok'],
      error: null,
    });
    expect(r.importedFiles).toEqual([
      { path: '/t/a.jsonl', source: 'claude_code', size: 10, mtimeMs: 5, byteOffset: 8, sessionId: 's1' },
    ]);
  });

  it('reports a file that is not a database in one line instead of throwing', () => {
    const dir = temp();
    writeFileSync(join(dir, DATABASE_FILE_NAME), Buffer.alloc(4096, 42));
    const r = inspectDatabase(dir);
    expect(r.exists).toBe(true);
    expect(r.error).toMatch(/not a database/);
  });
});
