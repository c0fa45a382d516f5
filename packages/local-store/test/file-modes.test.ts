import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalDatabase } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('file modes', () => {
  it('creates the folder 0700 and the database, -wal and -shm 0600; tightens them when found looser', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'agentlogs-modes-'));
    dirs.push(parent);
    const dir = join(parent, 'a', 'b');
    const db = join(dir, 'agentlogs.db');
    const files = [db, `${db}-wal`, `${db}-shm`];

    let store = openLocalDatabase({ dir });
    store.sqlite.prepare("insert into sync_state (key, value) values ('probe', '1')").run();
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(parent, 'a'))).toBe(0o700);
    for (const file of files) {
      expect(existsSync(file), file).toBe(true);
      expect(mode(file), file).toBe(0o600);
    }
    for (const file of files) chmodSync(file, 0o644);
    await store.close();
    if (existsSync(`${db}-wal`)) chmodSync(`${db}-wal`, 0o666);
    chmodSync(db, 0o664);

    store = openLocalDatabase({ dir });
    for (const file of files.filter((f) => existsSync(f))) expect(mode(file), file).toBe(0o600);
    await store.close();
  });
});
