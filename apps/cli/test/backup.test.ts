/**
 * `export`, `restore` and `backup` with the built binary: a restore into an empty data folder gives the same
 * `stats --json`, in both formats; a restore never replaces a newer local record; retention keeps 7 daily and 4
 * weekly snapshots.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackupFile, retained } from '../src/commands/backup.js';
import { bin, claudeTree, fixtures, removeTemps, tempDir } from './e2e-harness.js';

afterAll(() => removeTemps());

function cli(home: string, args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AGENTLOGS_HOME: home,
      TZ: 'UTC',
      AGENTLOGS_MACHINE_NAME: 'box',
    },
    encoding: 'utf8',
    cwd: home,
  });
  if (result.status !== 0)
    throw new Error(`agentlogs ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

function importedHome(): string {
  const home = tempDir('backup');
  const tree = claudeTree({
    alpha: [path.join(fixtures, 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl')],
    spotter: [
      path.join(fixtures, 'marot-spotter/short.jsonl'),
      path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'),
    ],
  });
  cli(home, ['import', '--claude-dir', tree]);
  return home;
}

describe('export and restore', () => {
  it('gives identical stats in an empty data folder, from either format', () => {
    const home = importedHome();
    const stats = cli(home, ['stats', '--json']);
    expect(JSON.parse(stats).rows.length).toBeGreaterThan(0);
    const sqlite = path.join(home, 'snapshot.db');
    const jsonl = path.join(home, 'export.jsonl.gz');
    const exported = JSON.parse(cli(home, ['export', sqlite, '--json']));
    expect(exported.tables.sessions).toBe(3);
    expect(cli(home, ['export', jsonl, '--format', 'jsonl'])).toMatch(
      /Exported 3 sessions, [\d,]+ records to .*gzipped JSON lines/,
    );

    for (const file of [sqlite, jsonl]) {
      const empty = tempDir('restore');
      const restored = JSON.parse(cli(empty, ['restore', file, '--json']));
      expect(restored.tables.sessions).toEqual({ added: 3, updated: 0, kept: 0 });
      expect(cli(empty, ['stats', '--json'])).toBe(stats);
      expect(cli(empty, ['stats', '--by', 'session', '--json'])).toBe(
        cli(home, ['stats', '--by', 'session', '--json']),
      );
      // Restoring again changes nothing.
      const again = JSON.parse(cli(empty, ['restore', file, '--json']));
      expect(again.tables.sessions).toEqual({ added: 0, updated: 0, kept: 3 });
      expect(cli(empty, ['stats', '--json'])).toBe(stats);
    }
  }, 120_000);

  it('never replaces a newer local record, and brings a newer one in', () => {
    const home = importedHome();
    const [commit] = JSON.parse(cli(home, ['commits', 'list', '--json'])) as {
      id: string;
      version: number;
    }[];
    const before = path.join(home, 'before.db');
    cli(home, ['export', before]);
    cli(home, ['commits', 'title', commit!.id, 'edited after the export']);
    const after = path.join(home, 'after.db');
    cli(home, ['export', after]);

    const restored = JSON.parse(cli(home, ['restore', before, '--json']));
    expect(restored.tables.cognitive_commits.kept).toBeGreaterThan(0);
    expect(restored.tables.cognitive_commits.updated).toBe(0);
    expect(JSON.parse(cli(home, ['commits', 'show', commit!.id, '--json'])).title).toBe(
      'edited after the export',
    );

    const other = tempDir('older');
    cli(other, ['restore', before]);
    expect(JSON.parse(cli(other, ['commits', 'show', commit!.id, '--json'])).title).not.toBe(
      'edited after the export',
    );
    const newer = JSON.parse(cli(other, ['restore', after, '--json']));
    expect(newer.tables.cognitive_commits.updated).toBe(1);
    expect(JSON.parse(cli(other, ['commits', 'show', commit!.id, '--json'])).title).toBe(
      'edited after the export',
    );
  }, 120_000);

  it('refuses to overwrite a file and to restore something that is not a backup', () => {
    const home = importedHome();
    const file = path.join(home, 'taken.db');
    writeFileSync(file, 'x');
    const over = spawnSync(process.execPath, [bin, 'export', file], {
      env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: home },
      encoding: 'utf8',
    });
    expect(over.status, over.stderr).toBe(2);
    expect(over.stderr).toContain('exists already');
    const bad = spawnSync(process.execPath, [bin, 'restore', file], {
      env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: home },
      encoding: 'utf8',
    });
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('is not an agentlogs database or export');
  }, 120_000);
});

describe('backup', () => {
  it('keeps the newest of the last 7 days and of the last 4 weeks', () => {
    // One backup a day for 60 days, two on the newest day.
    const start = Date.UTC(2026, 9, 1, 3, 0, 0);
    const files: BackupFile[] = [];
    for (let d = 0; d < 60; d++) files.push({ file: `day${d}`, at: new Date(start + d * 86_400_000) });
    files.push({ file: 'day59-late', at: new Date(start + 59 * 86_400_000 + 3_600_000) });
    const keep = retained(files, 7, 4);
    // Days 53..58 and the later of day 59; weeks: the newest of each of the 4 latest weeks (Mon..Sun).
    const daily = ['day59-late', 'day58', 'day57', 'day56', 'day55', 'day54', 'day53'];
    for (const f of daily) expect(keep.has(f), f).toBe(true);
    expect(keep.has('day59')).toBe(false);
    const weekly = [...keep].filter((f) => !daily.includes(f));
    // 2026-11-29 (day 59) is a Sunday: its week is in the daily set; the three weeks before end on days 52, 45, 38.
    expect(weekly.sort()).toEqual(['day38', 'day45', 'day52']);
    expect(keep.size).toBe(10);
  }, 120_000);

  it('writes a snapshot into the data folder that restore reads', () => {
    const home = importedHome();
    const out = JSON.parse(cli(home, ['backup', '--json']));
    expect(existsSync(out.file)).toBe(true);
    expect(path.dirname(out.file)).toBe(path.join(home, 'backups'));
    expect(JSON.parse(cli(home, ['backup', '--list', '--json']))).toHaveLength(1);
    const empty = tempDir('from-backup');
    cli(empty, ['restore', out.file]);
    expect(cli(empty, ['stats', '--json'])).toBe(cli(home, ['stats', '--json']));
  }, 120_000);
});
