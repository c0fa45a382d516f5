import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

describe('pnpm demo', () => {
  it('runs two machines through login, import and sync, and both end with the same stats', () => {
    const run = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 240_000 });
    expect(run.stderr).not.toContain('demo failed');
    expect(run.status).toBe(0);
    // Both machines' rows are visible on both machines, with their origin machine names.
    const tables = run.stdout.split(/^ {2}on \S+:$/m).slice(1);
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table).toMatch(/home-desktop\s+733\s+323/);
      expect(table).toMatch(/work-laptop\s+914\s+1,844/);
    }
    expect(run.stdout).toContain('Both machines hold the same sessions');
  }, 300_000);
});
