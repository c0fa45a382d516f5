/**
 * `export`, `restore` and `backup` draw a progress bar on a terminal (bytes copied, records written or merged),
 * clear it before their summary, and print nothing more with --json or when stderr is not a terminal.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';

vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

class Capture extends Writable {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentlogs-backup-progress-'));
  temps.push(dir);
  return dir;
}

async function run(home: string, args: string[], tty: boolean) {
  const stdout = new Capture(tty);
  const stderr = new Capture(tty);
  const code = await main(args, {
    env: { HOME: home, AGENTLOGS_HOME: path.join(home, 'data'), TZ: 'UTC' },
    cwd: home,
    stdout,
    stderr,
    signal: new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A data folder with three imported sessions. */
async function imported(): Promise<string> {
  const home = temp();
  const dir = path.join(home, 'claude', 'projects', 'demo');
  mkdirSync(dir, { recursive: true });
  for (const f of ['marot-spotter/short.jsonl', 'marot-spotter/tool_heavy.jsonl']) {
    cpSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)));
  }
  expect((await run(home, ['import', '--claude-dir', path.join(home, 'claude')], false)).code).toBe(0);
  return home;
}

/** The last drawing of a bar before it was cleared. */
function lastDraw(stderr: string, label: string): string {
  const draws = stderr.split('\r').filter((s) => s.startsWith(label));
  return draws.at(-1)?.trimEnd() ?? '';
}

describe('backup progress on a terminal', () => {
  it('export (both formats), restore and backup draw a bar and clear it before the summary', async () => {
    const home = await imported();
    const stats = (await run(home, ['stats', '--json'], false)).stdout;

    const db = await run(home, ['export', 'copy.db'], true);
    expect(db.code, db.stderr).toBe(0);
    expect(db.stderr).toMatch(/\rexporting \[-+\] +0% copying 0 B\/[\d.]+ [KM]iB/);
    expect(lastDraw(db.stderr, 'exporting')).toMatch(/^exporting \[#+\] 100% copying ([\d.]+ [KM]iB)\/\1$/);
    expect(db.stderr.endsWith('\r')).toBe(true); // cleared
    expect(db.stdout).toMatch(/^Exported 2 sessions/);

    const jsonl = await run(home, ['export', 'copy.jsonl.gz', '--format', 'jsonl'], true);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const records = /Exported 2 sessions, ([\d,]+) records/.exec(jsonl.stdout)?.[1];
    expect(records).toBeDefined();
    expect(lastDraw(jsonl.stderr, 'exporting')).toBe(
      `exporting [${'#'.repeat(40)}] 100% writing ${records}/${records} records`,
    );

    for (const file of ['copy.db', 'copy.jsonl.gz']) {
      const empty = temp();
      const restored = await run(empty, ['restore', path.join(home, file)], true);
      expect(restored.code, restored.stderr).toBe(0);
      expect(lastDraw(restored.stderr, 'restoring')).toBe(
        `restoring [${'#'.repeat(40)}] 100% merging ${records}/${records} records`,
      );
      if (file.endsWith('.gz')) expect(restored.stderr).toMatch(/\rrestoring \[[#-]+\] +\d+% reading /);
      expect(restored.stderr.endsWith('\r')).toBe(true);
      expect(restored.stdout).toMatch(/^Restored from /);
      // What the bar showed being merged is the whole of it.
      expect((await run(empty, ['stats', '--json'], false)).stdout).toBe(stats);
    }

    const backup = await run(home, ['backup'], true);
    expect(backup.code, backup.stderr).toBe(0);
    expect(lastDraw(backup.stderr, 'backing up')).toMatch(/^backing up \[#+\] 100% copying /);
    expect(backup.stdout).toMatch(/^Backed up 2 sessions/);
  });

  it('--json on a terminal, and any run off a terminal, print no bar', async () => {
    const home = await imported();
    for (const [args, tty] of [
      [['export', 'a.db', '--json'], true],
      [['export', 'b.jsonl.gz', '--format', 'jsonl', '--json'], true],
      [['export', 'c.db'], false],
      [['export', 'd.jsonl.gz', '--format', 'jsonl'], false],
      [['restore', 'a.db', '--json'], true],
      [['restore', 'b.jsonl.gz'], false],
      [['backup', '--json'], true],
      [['backup'], false],
    ] as const) {
      const result = await run(home, [...args], tty);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      // (A notice about the Node.js version may be there; no bar is.)
      expect(result.stderr, args.join(' ')).not.toMatch(/\r|exporting|restoring|backing up/);
      if ((args as readonly string[]).includes('--json'))
        expect(() => JSON.parse(result.stdout)).not.toThrow();
      else expect(result.stdout.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
    // Two backups within one second both succeed (the second is named …Z-2.db when they share the second);
    // retention then keeps the newest of the day.
    const list = JSON.parse((await run(home, ['backup', '--list', '--json'], false)).stdout) as unknown[];
    expect(list).toHaveLength(1);
  });
});
