import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';

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
});
