import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { estimateRemainingMs, formatDuration, importProgressDetail } from '../src/progress.js';

// Each test spawns the CLI (and ccusage) several times: allow for a busy machine.
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
    readonly columns = 80,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function tree(): { home: string; claude: string } {
  const home = mkdtempSync(path.join(tmpdir(), 'agentlogs-progress-'));
  temps.push(home);
  const dir = path.join(home, 'claude', 'projects', 'demo');
  mkdirSync(dir, { recursive: true });
  for (const f of [
    'marot-spotter/short.jsonl',
    'marot-spotter/tool_heavy.jsonl',
    'oneryalcin-fasthooks/sample_main_transcript.jsonl',
  ]) {
    cpSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)));
  }
  return { home, claude: path.join(home, 'claude') };
}

describe('agentlogs import output', () => {
  it('draws a progress bar on a terminal and clears it before the summary', async () => {
    const { home, claude } = tree();
    const stdout = new Capture(true);
    const stderr = new Capture(true);
    const code = await main(['import', '--claude-dir', claude], {
      env: { HOME: home, AGENTLOGS_HOME: path.join(home, 'data') },
      stdout,
      stderr,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    expect(stderr.text).toMatch(/\rimporting \[#+-*\] +\d+% \d+\/3 files/);
    expect(stderr.text).toContain('100% 3/3 files');
    // Files and MiB read of the whole, on every redraw.
    expect(stderr.text).toMatch(/\d+\/3 files, \d+\.\d\/0\.\d MiB/);
    expect(stderr.text.endsWith('\r')).toBe(true); // cleared
    expect(stdout.text).toMatch(/^Imported 3 files/);
  });

  it('prints only the one-line summary when stderr is not a terminal', async () => {
    const { home, claude } = tree();
    const stdout = new Capture(false);
    const stderr = new Capture(false);
    const code = await main(['import', '--claude-dir', claude], {
      env: { HOME: home, AGENTLOGS_HOME: path.join(home, 'data') },
      stdout,
      stderr,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    expect(stdout.text.trim().split('\n')).toHaveLength(1);
  });

  it('stops after the file in flight when interrupted, keeping what was imported', async () => {
    const { home, claude } = tree();
    const env = { HOME: home, AGENTLOGS_HOME: path.join(home, 'data') };
    const controller = new AbortController();
    // Ctrl-C arrives while the first file's progress is drawn.
    const stderr = new (class extends Capture {
      override _write(chunk: Buffer, enc: BufferEncoding, done: () => void): void {
        if (chunk.toString().includes('1/3 files')) controller.abort();
        super._write(chunk, enc, done);
      }
    })(true);
    const code = await main(['import', '--claude-dir', claude], {
      env,
      stdout: new Capture(false),
      stderr,
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(stderr.text).toContain('interrupted; run the import again to continue');
    // The next run finds the first file done and imports the other two.
    const stdout = new Capture(false);
    expect(
      await main(['import', '--claude-dir', claude], {
        env,
        stdout,
        stderr: new Capture(false),
        signal: new AbortController().signal,
      }),
    ).toBe(0);
    expect(stdout.text).toMatch(/^Imported 2 files .*; 1 unchanged/);
  });

  it('prints nothing but the JSON with --json, even on a terminal', async () => {
    const { home, claude } = tree();
    const stdout = new Capture(true);
    const stderr = new Capture(true);
    const code = await main(['import', '--claude-dir', claude, '--json'], {
      env: { HOME: home, AGENTLOGS_HOME: path.join(home, 'data') },
      stdout,
      stderr,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    // (Node 20 adds its end-of-life note to stderr: no bar, no other line.)
    expect(stderr.text).not.toContain('\r');
    expect(stderr.text).not.toContain('importing');
    expect(JSON.parse(stdout.text).filesRead).toBe(3);
  });
});

describe('the import progress line', () => {
  it('says files, MiB and the time left at the rate so far', () => {
    const p = { filesDone: 120, filesTotal: 3277, bytesDone: 52 * 1024 ** 2, bytesTotal: 208 * 1024 ** 2 };
    // A quarter done in 3 s: 9 s left.
    expect(importProgressDetail(p, 3000)).toBe('120/3277 files, 52.0/208.0 MiB, ETA 9 s');
    expect(importProgressDetail({ ...p, bytesDone: 104 * 1024 ** 2 }, 150_000)).toBe(
      '120/3277 files, 104.0/208.0 MiB, ETA 2 min 30 s',
    );
  });

  it('gives no estimate before it means something', () => {
    expect(estimateRemainingMs(0, 100, 5000)).toBeNull();
    expect(estimateRemainingMs(50, 100, 500)).toBeNull(); // under a second
    expect(estimateRemainingMs(5, 1000, 5000)).toBeNull(); // under 1 %
    expect(estimateRemainingMs(100, 100, 5000)).toBeNull(); // done
    expect(estimateRemainingMs(25, 100, 4000)).toBe(12_000);
    expect(importProgressDetail({ filesDone: 1, filesTotal: 3, bytesDone: 10, bytesTotal: 100 }, 200)).toBe(
      '1/3 files, 0.0/0.0 MiB',
    );
  });

  it('writes durations as a person reads them', () => {
    expect(formatDuration(400)).toBe('0 s');
    expect(formatDuration(59_400)).toBe('59 s');
    expect(formatDuration(200_000)).toBe('3 min 20 s');
    expect(formatDuration(3_900_000)).toBe('1 h 05 min');
  });
});
