import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'bin.js');
const ROOT = path.join(here, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures', 'transcripts');
/** A database written by the earlier CLI's own `import` (packages/local-store/test/fixtures/legacy/README.md). */
const LEGACY_DB = path.join(ROOT, 'packages', 'local-store', 'test', 'fixtures', 'legacy', 'cli-v6.db');
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentlogs-legacy-cli-'));
  temps.push(dir);
  return dir;
}

/** Only HOME: the data folder is the default one (`~/.local/share/agentlogs` here), found without any flag. */
function env(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, TZ: 'UTC' };
}

function cli(home: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: env(home), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliAsync(home: string, args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: env(home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A home holding the earlier release's database where it kept it. */
function legacyHome(): { home: string; legacy: string } {
  const home = temp();
  const legacy = path.join(home, '.agentlogs', 'global', 'data.db');
  mkdirSync(path.dirname(legacy), { recursive: true });
  cpSync(LEGACY_DB, legacy);
  return { home, legacy };
}

/** The transcripts that database was written from, in Claude Code's project folders. */
function claudeTree(root: string): string {
  const projects: Record<string, string[]> = {
    '-home-dev-fasthooks': [
      'oneryalcin-fasthooks/sample_main_transcript.jsonl',
      'oneryalcin-fasthooks/sample_agent_sidechain.jsonl',
    ],
    '-home-dev-spotter': ['marot-spotter/tool_heavy.jsonl', 'marot-spotter/short.jsonl'],
    '-home-dev-shop': ['../../packages/ingest/test/fixtures/git-commit-session.jsonl'],
  };
  for (const [name, files] of Object.entries(projects)) {
    const dir = path.join(root, 'projects', name);
    mkdirSync(dir, { recursive: true });
    for (const f of files) cpSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)));
  }
  return root;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const ADOPTED = /adopted the database of an earlier agentlogs release/;

describe('a database of the earlier agentlogs release', () => {
  it('is adopted on the first command without any flag, said once on stderr, with a backup; JSON stays clean', () => {
    const { home, legacy } = legacyHome();
    const before = sha(legacy);
    const first = cli(home, ['stats', '--json']);
    expect(first.code).toBe(0);
    const stats = JSON.parse(first.stdout);
    // The earlier CLI's 5 sessions and 53 per-line turns (it recorded no tokens).
    expect(stats.totals).toMatchObject({ sessions: 5, turns: 53, input_tokens: 0 });
    expect(first.stderr.match(new RegExp(ADOPTED, 'g'))).toHaveLength(1);
    expect(first.stderr).toContain(legacy);

    const data = path.join(home, '.local', 'share', 'agentlogs');
    expect(existsSync(path.join(data, 'agentlogs.db'))).toBe(true);
    const backups = readdirSync(path.join(data, 'backups'));
    expect(backups).toHaveLength(1);
    expect(sha(path.join(data, 'backups', backups[0]!))).toBe(before);
    expect(sha(legacy)).toBe(before);

    const second = cli(home, ['stats', '--json']);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(ADOPTED);
    expect(JSON.parse(second.stdout).totals).toEqual(stats.totals);
  });

  it('a named profile does not adopt it', () => {
    const { home } = legacyHome();
    const r = cli(home, ['stats', '--json', '--profile', 'work']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(ADOPTED);
    expect(JSON.parse(r.stdout).totals).toMatchObject({ sessions: 0, turns: 0 });
  });

  it('processes starting at once adopt it once', async () => {
    const { home } = legacyHome();
    const runs = await Promise.all([1, 2, 3].map(() => cliAsync(home, ['stats', '--json'])));
    for (const r of runs) expect(r.code).toBe(0);
    expect(runs.filter((r) => ADOPTED.test(r.stderr))).toHaveLength(1);
    for (const r of runs) expect(JSON.parse(r.stdout).totals).toMatchObject({ sessions: 5, turns: 53 });
    expect(readdirSync(path.join(home, '.local', 'share', 'agentlogs', 'backups'))).toHaveLength(1);
  });

  it('importing its transcripts then gives the sessions, turns and tokens of a fresh import', () => {
    const { home } = legacyHome();
    const tree = claudeTree(path.join(temp(), 'claude'));
    const imported = cli(home, ['import', '--claude-dir', tree]);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(ADOPTED);
    expect(imported.stdout).toMatch(
      /Merged rows of the earlier agentlogs database with these transcripts: 5 sessions/,
    );

    const freshHome = temp();
    expect(cli(freshHome, ['import', '--claude-dir', tree]).code).toBe(0);
    for (const by of ['session', 'day']) {
      const merged = cli(home, ['stats', '--by', by, '--json']);
      const fresh = cli(freshHome, ['stats', '--by', by, '--json']);
      expect(merged.code).toBe(0);
      expect(JSON.parse(merged.stdout)).toEqual(JSON.parse(fresh.stdout));
    }
  });
});
