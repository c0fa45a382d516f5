/**
 * The README's usage examples run as printed: each `pnpm agentlogs …` line of its first usage block is run with
 * the built CLI (what `pnpm agentlogs` runs) in a home of its own holding Claude Code and Codex CLI transcripts
 * from the fixtures, and must end with exit 0. `DIR` stands for a transcript folder; `prices refresh` downloads
 * from a local server (AGENTLOGS_PRICES_URL), as nothing here may go online.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..', '..', '..');
const bin = path.join(here, '..', 'dist', 'bin.js');
const fixtures = path.join(repo, 'fixtures', 'transcripts');

/** The `pnpm agentlogs …` lines of the README's first block that has them, without their comments. */
function readmeExamples(): string[] {
  const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('pnpm agentlogs '));
    if (lines.length > 0) return lines;
  }
  return [];
}

let home: string;
let server: Server;
let pricesUrl: string;

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'agentlogs-readme-'));
  const claude = path.join(home, '.claude', 'projects', 'hooks');
  mkdirSync(claude, { recursive: true });
  cpSync(path.join(fixtures, 'oneryalcin-fasthooks'), claude, { recursive: true });
  const codex = path.join(home, '.codex', 'sessions');
  mkdirSync(codex, { recursive: true });
  cpSync(path.join(fixtures, 'ccusage-fixtures', 'codex', 'sessions'), codex, { recursive: true });
  const prices = readFileSync(path.join(here, 'fixtures', 'litellm-prices.json'));
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(prices);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pricesUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prices.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(home, { recursive: true, force: true });
});

function run(args: string[], stdinFile?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: repo,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          AGENTLOGS_HOME: path.join(home, 'data'),
          AGENTLOGS_PRICES_URL: pricesUrl,
          TZ: 'UTC',
        },
        encoding: 'utf8',
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (stdinFile) child.stdin!.end(readFileSync(path.join(repo, stdinFile)));
    else child.stdin!.end();
  });
}

describe("the README's examples", { timeout: 120_000 }, () => {
  it('run as printed, each with exit 0', async () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(examples[0]).toBe('pnpm agentlogs import');
    for (const example of examples) {
      const words = example.split(/\s+/).slice(2);
      const redirect = words.indexOf('<');
      const stdinFile = redirect >= 0 ? words[redirect + 1] : undefined;
      const args = (redirect >= 0 ? words.slice(0, redirect) : words).map((w) =>
        w === 'DIR' ? path.join(home, '.claude', 'projects') : w,
      );
      const r = await run(args, stdinFile);
      expect(r.code, `${example}\n${r.stderr}`).toBe(0);
      expect(r.stdout.length, example).toBeGreaterThan(0);
    }
    // What they did: both agents imported, and the hook in the settings of this home.
    const byAgent = JSON.parse((await run(['stats', '--by', 'agent', '--json'])).stdout) as {
      rows: { key: string }[];
    };
    expect(byAgent.rows.map((r) => r.key).sort()).toEqual(['claude_code', 'codex']);
    expect(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8')).toContain('hooks run');
  });
});
