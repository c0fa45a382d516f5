import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPriceTable } from '@agentlogs/ingest';
import { openLocalDatabase } from '@agentlogs/local-store';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Each test spawns the CLI (and ccusage) several times: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'bin.js');
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentlogs-import-cli-'));
  temps.push(dir);
  return dir;
}

function cli(home: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: path.join(home, 'data'), TZ: 'UTC', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A Claude config folder holding `projects/<name>/` copies of fixture files. */
function claudeTree(root: string, projects: Record<string, string[]>): string {
  for (const [name, files] of Object.entries(projects)) {
    const dir = path.join(root, 'projects', name);
    mkdirSync(dir, { recursive: true });
    for (const f of files) cpSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)));
  }
  return root;
}

describe('agentlogs import', () => {
  it('reads the price table only when it changed turns: an import with nothing new never opens it', () => {
    const home = temp();
    const tree = claudeTree(path.join(home, 'claude'), { demo: ['marot-spotter/short.jsonl'] });
    // A damaged download says so in one line whenever the table is read (the shipped prices are used).
    mkdirSync(path.join(home, 'data'), { recursive: true });
    writeFileSync(path.join(home, 'data', 'prices.json'), '{"source": 1');
    const first = cli(home, ['import', '--claude-dir', tree]);
    expect(first.code, first.stderr).toBe(0);
    // New turns: the import rebuilt the usage rollup, with the prices.
    expect(first.stderr).toContain('is not a readable price table');
    const again = cli(home, ['import', '--claude-dir', tree]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Nothing new: 1 file checked/);
    expect(again.stderr).toBe('');
  });

  it('imports, then says there is nothing new; reports malformed lines as file:line', () => {
    const home = temp();
    const tree = claudeTree(path.join(home, 'claude'), {
      demo: ['marot-spotter/short.jsonl', 'daaain-claude-code-log/edge_cases.jsonl'],
    });
    const first = cli(home, ['import', '--claude-dir', tree]);
    expect(first.code).toBe(0);
    // edge_cases.jsonl holds lines of two sessions (one copied from another transcript): three sessions in all.
    expect(first.stdout).toMatch(
      /^Imported 2 files \(.*\): \d+ new turns, 0 updated, 3 new sessions, \d+ new commits; 0 unchanged/,
    );
    expect(first.stderr).toContain('5 malformed lines skipped:');
    expect(first.stderr).toContain(
      `${path.join(tree, 'projects', 'demo', 'edge_cases.jsonl')}:11: user line without a message object`,
    );
    const second = cli(home, ['import', '--claude-dir', path.join(tree, 'projects')]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toMatch(/^Nothing new: 2 files checked, 2 unchanged since the last import/);
  });

  it('--json reports counts; an appended file adds only the new turns', () => {
    const home = temp();
    const tree = claudeTree(path.join(home, 'claude'), { demo: ['marot-spotter/tool_heavy.jsonl'] });
    const file = path.join(tree, 'projects', 'demo', 'tool_heavy.jsonl');
    const lines = readFileSync(path.join(FIXTURES, 'marot-spotter/short.jsonl'), 'utf8');
    const first = JSON.parse(cli(home, ['import', '--claude-dir', tree, '--json']).stdout);
    expect(first).toMatchObject({ filesFound: 1, filesRead: 1, malformedLines: 0 });
    appendFileSync(file, lines);
    const second = JSON.parse(cli(home, ['import', '--claude-dir', tree, '--json']).stdout);
    expect(second).toMatchObject({ filesFound: 1, filesRead: 1, filesReread: 0 });
    expect(second.bytesRead).toBe(Buffer.byteLength(lines));
    // short.jsonl: 4 user lines and one streamed response = 5 turns.
    expect(second.turnsAdded).toBe(5);
  });

  it('ends with the usage totals built, with the prices stats uses, so stats reads them as they are', async () => {
    const home = temp();
    const tree = claudeTree(path.join(home, 'claude'), { demo: ['marot-spotter/short.jsonl'] });
    const rollup = async () => {
      const database = openLocalDatabase({ dir: path.join(home, 'data') });
      try {
        return database.sqlite.prepare('select valid, prices, data from usage_rollup').get() as {
          valid: number;
          prices: string;
          data: string;
        };
      } finally {
        await database.close();
      }
    };
    expect(cli(home, ['import', '--claude-dir', tree]).code).toBe(0);
    const built = await rollup();
    expect(built).toMatchObject({ valid: 1, prices: loadPriceTable().fingerprint });
    expect(JSON.parse(built.data).rows.length).toBeGreaterThan(0);
    const stats = cli(home, ['stats', '--json']);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout).totals.turns).toBe(5);
    // Read as it was stored: same prices, same entries.
    expect(await rollup()).toEqual(built);
  });

  it('a missing --claude-dir is a one-line usage error', () => {
    const home = temp();
    const r = cli(home, ['import', '--claude-dir', path.join(home, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `agentlogs import: --claude-dir folder not found: ${path.join(home, 'nope')}`,
    );
  });

  it('reads CLAUDE_CONFIG_DIR (comma-separated) when no folder is given, and no Codex data from elsewhere', () => {
    const home = temp();
    const a = claudeTree(path.join(home, 'a'), { one: ['marot-spotter/short.jsonl'] });
    const b = claudeTree(path.join(home, 'b'), {
      two: ['oneryalcin-fasthooks/sample_main_transcript.jsonl'],
    });
    const r = cli(home, ['import', '--json'], {
      CLAUDE_CONFIG_DIR: `${a},${b}`,
      CODEX_HOME: path.join(home, 'no-codex'),
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.filesFound).toBe(2);
    expect(out.roots.claude).toEqual([path.join(a, 'projects'), path.join(b, 'projects')]);
  });

  it('--help describes the options', () => {
    const r = cli(temp(), ['import', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--claude-dir DIR');
    expect(r.stdout).toContain('--codex-dir DIR');
  });
});

describe('a damaged database', () => {
  it('gets a one-line error that says what to do, exit 6, and is left as it was', () => {
    const home = temp();
    mkdirSync(path.join(home, 'data'), { recursive: true });
    mkdirSync(path.join(home, 'claude', 'projects'), { recursive: true });
    const file = path.join(home, 'data', 'agentlogs.db');
    const junk = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 7)]);
    for (const content of [Buffer.alloc(8192, 42), junk]) {
      writeFileSync(file, content);
      for (const args of [['stats'], ['import', '--claude-dir', path.join(home, 'claude')]]) {
        const r = cli(home, args);
        expect(r.code, r.stderr).toBe(6);
        const lines = r.stderr.trim().split('\n');
        expect(lines[0]).toMatch(
          /agentlogs \w+: The database .*agentlogs\.db is damaged or is not an agentlogs database/,
        );
        expect(r.stderr).toMatch(/hint: move the file aside .*agentlogs import/);
        expect(r.stderr).not.toMatch(/bug/);
        expect(readFileSync(file).equals(content)).toBe(true);
      }
    }
  });
});

describe('agentlogs stats', () => {
  it('prints a table by model, and rejects a bad --by or date with a usage error', () => {
    const home = temp();
    const tree = claudeTree(path.join(home, 'claude'), {
      demo: ['oneryalcin-fasthooks/sample_main_transcript.jsonl'],
    });
    expect(cli(home, ['import', '--claude-dir', tree]).code).toBe(0);
    const table = cli(home, ['stats', '--by', 'model']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^model\s+input\s+output\s+cache write\s+cache read\s+cost\s+sessions\s+turns$/m,
    );
    expect(table.stdout).toMatch(/^claude-haiku-4-5-20251001\s/m);
    expect(table.stdout).toMatch(/^total\s/m);
    const bad = cli(home, ['stats', '--by', 'week']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--by must be one of day, month, model, project, session, machine, agent, block',
    );
    const badDate = cli(home, ['stats', '--since', '2026/01/01']);
    expect(badDate.code).toBe(2);
    const badZone = cli(home, ['stats', '--timezone', 'Mars/Olympus']);
    expect(badZone.code).toBe(2);
  });

  it('--json follows the contract: totals and rows with the same fields', () => {
    const home = temp();
    const tree = claudeTree(path.join(home, 'claude'), {
      demo: [
        'oneryalcin-fasthooks/sample_main_transcript.jsonl',
        'oneryalcin-fasthooks/sample_agent_sidechain.jsonl',
      ],
    });
    cli(home, ['import', '--claude-dir', tree]);
    const report = JSON.parse(cli(home, ['stats', '--json', '--by', 'session']).stdout);
    const fields = [
      'input_tokens',
      'output_tokens',
      'cache_creation_tokens',
      'cache_read_tokens',
      'cost_usd',
      'sessions',
      'turns',
    ];
    for (const f of fields) expect(typeof report.totals[f]).toBe('number');
    expect(report.rows).toHaveLength(1); // the subagent file belongs to its parent session
    expect(report.rows[0].key).toBe('c45af7b1-cb7c-4e51-93db-8cbb250a877a');
    for (const f of fields) expect(report.rows[0][f]).toBe(report.totals[f]);
  });
});
