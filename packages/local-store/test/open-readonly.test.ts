import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDirectory, isLocalStoreError, openLocalDatabase } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

describe('ensureDirectory', () => {
  it('creates missing levels and throws, never loops, for a path that cannot exist', () => {
    ensureDirectory(join(dir, 'a', 'b', 'c'));
    expect(existsSync(join(dir, 'a', 'b', 'c'))).toBe(true);
    expect(() => ensureDirectory('/proc/agentlogs-nope/x')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => ensureDirectory(join(dir, 'file', 'x'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR', path: join(dir, 'file') }),
    );
  });
});

describe('a read-only open', () => {
  it('reads a current database without writing, and refuses one that needs an upgrade', async () => {
    const store = openLocalDatabase({ dir });
    store.sqlite.prepare("insert into sync_state (key, value) values ('probe', '1')").run();
    await store.close();
    const reader = openLocalDatabase({ dir, readonly: true });
    expect(reader.readonly).toBe(true);
    expect(reader.sqlite.prepare("select value from sync_state where key = 'probe'").get()).toEqual({
      value: '1',
    });
    expect(() => reader.sqlite.prepare('delete from sync_state').run()).toThrow(/readonly/);
    await reader.close();

    const old = openLocalDatabase({ dir: join(dir, 'old') });
    old.sqlite.exec('delete from schema_version where version = (select max(version) from schema_version)');
    await old.close();
    let error: unknown;
    try {
      openLocalDatabase({ dir: join(dir, 'old'), readonly: true });
    } catch (e) {
      error = e;
    }
    expect(isLocalStoreError(error) && error.code).toBe('SCHEMA_NEEDS_UPGRADE');
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)('in a folder this user cannot write, reads a private copy (run as nobody)', async () => {
    const store = openLocalDatabase({ dir });
    store.sqlite.prepare("insert into sync_state (key, value) values ('probe', '2')").run();
    await store.close();
    chmodSync(dir, 0o755);
    // The database is created readable by its owner only; its owner shared it with other users.
    chmodSync(join(dir, 'agentlogs.db'), 0o644);
    const script = `
      const { openLocalDatabase } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const db = openLocalDatabase({ dir: ${JSON.stringify(dir)}, readonly: true });
      process.stdout.write(JSON.stringify(db.sqlite.prepare("select value from sync_state where key = 'probe'").get()));
      await db.close();`;
    const r = spawnSync(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ value: '2' });
    expect(readdirSync(dir)).toEqual(['agentlogs.db']);
  });
});
