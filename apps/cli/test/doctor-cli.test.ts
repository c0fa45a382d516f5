import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'bin.js');
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
const DAY_MS = 86_400_000;
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function cli(home: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: path.join(home, 'data'), TZ: 'UTC', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `~/.claude/projects/demo/` with three transcripts whose file times are 40, 25 and 2 days ago: with Claude
 * Code's default of 30 days, the first goes at its next start, the second within 7 days, the third later.
 */
function tree(): { home: string; old: string; soon: string; recent: string } {
  const home = mkdtempSync(path.join(tmpdir(), 'agentlogs-doctor-'));
  temps.push(home);
  const dir = path.join(home, '.claude', 'projects', 'demo');
  mkdirSync(dir, { recursive: true });
  const files = {
    old: path.join(dir, 'short.jsonl'),
    soon: path.join(dir, 'tool_heavy.jsonl'),
    recent: path.join(dir, 'subagent.jsonl'),
  };
  const ages = { old: 40, soon: 25, recent: 2 };
  for (const [key, file] of Object.entries(files)) {
    cpSync(path.join(FIXTURES, 'marot-spotter', path.basename(file)), file);
    const when = new Date(Date.now() - ages[key as keyof typeof ages] * DAY_MS);
    utimesSync(file, when, when);
  }
  return { home, ...files };
}

interface Report {
  ok: boolean;
  checks: { name: string; status: string; message: string; hint: string | null }[];
  retention: {
    cleanupPeriodDays: number;
    fromSettings: boolean;
    transcripts: number;
    atRisk: { path: string; daysLeft: number; status: string }[];
  }[];
  kept: { sessions: number; files: number };
  database: { exists: boolean; quickCheck: string[]; schemaVersion: number; latestSchemaVersion: number };
}

function doctor(home: string): { code: number | null; report: Report; text: string } {
  const json = cli(home, ['doctor', '--json']);
  const text = cli(home, ['doctor']);
  expect(text.code).toBe(json.code);
  return { code: json.code, report: JSON.parse(json.stdout) as Report, text: text.stdout };
}

describe('agentlogs doctor', () => {
  it('lists the transcripts Claude Code deletes within 7 days that are not imported, and exits 1', () => {
    const t = tree();
    const { code, report, text } = doctor(t.home);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.retention).toHaveLength(1);
    expect(report.retention[0]).toMatchObject({ cleanupPeriodDays: 30, fromSettings: false, transcripts: 3 });
    expect(report.retention[0]!.atRisk.map((f) => [f.path, f.status])).toEqual([
      [t.old, 'not imported'],
      [t.soon, 'not imported'],
    ]);
    expect(report.retention[0]!.atRisk.map((f) => f.daysLeft)).toEqual([-10, 5]);
    const retention = report.checks.find((c) => c.name === 'retention')!;
    expect(retention.status).toBe('action');
    expect(retention.hint).toContain("'agentlogs hooks install'");
    expect(retention.hint).toContain('cleanupPeriodDays');
    expect(retention.hint).not.toMatch(/cleanupPeriodDays\D*\b0\b/);
    expect(report.checks.find((c) => c.name === 'database')).toMatchObject({ status: 'action' });
    expect(text).toContain(`${t.old}: deleted at the next start of Claude Code, not imported`);
    expect(text).toContain(`${t.soon}: deleted in 5 days, not imported`);
    expect(text).not.toContain(t.recent);
  });

  it('after an import nothing is at risk; a transcript that grew is again; one deleted is counted as kept', () => {
    const t = tree();
    expect(cli(t.home, ['import']).code).toBe(0);
    let { code, report } = doctor(t.home);
    expect(report.checks.filter((c) => c.status === 'action')).toEqual([]);
    expect(code).toBe(0);
    expect(report.database).toMatchObject({ exists: true, quickCheck: ['ok'] });
    expect(report.database.schemaVersion).toBe(report.database.latestSchemaVersion);
    expect(report.kept).toEqual({ sessions: 0, files: 0 });

    // Claude Code appended to it, and the time stayed old (as it would after a copy or a restore).
    appendFileSync(t.soon, '{"type":"summary","summary":"more"}\n');
    const when = new Date(Date.now() - 25 * DAY_MS);
    utimesSync(t.soon, when, when);
    ({ code, report } = doctor(t.home));
    expect(code).toBe(1);
    expect(report.retention[0]!.atRisk.map((f) => [f.path, f.status])).toEqual([
      [t.soon, 'grown since import'],
    ]);

    // `sync status` says so in one line (without a project set up).
    const status = cli(t.home, ['sync', 'status']);
    expect(status.stdout).toContain(
      "Retention:     1 transcript that Claude Code deletes within 7 days is not imported: run 'agentlogs import'",
    );

    rmSync(t.old);
    ({ report } = doctor(t.home));
    expect(report.kept).toEqual({ sessions: 1, files: 1 });
    expect(report.checks.find((c) => c.name === 'kept')!.message).toBe(
      '1 session kept here whose transcripts are gone from disk (1 file)',
    );
  });

  it('reads cleanupPeriodDays from settings.json; 0 is reported as writing no transcripts', () => {
    const t = tree();
    const settings = path.join(t.home, '.claude', 'settings.json');
    writeFileSync(settings, '{ "cleanupPeriodDays": 90 }\n');
    let { report } = doctor(t.home);
    expect(report.retention[0]).toMatchObject({ cleanupPeriodDays: 90, fromSettings: true, atRisk: [] });
    writeFileSync(settings, '{ "cleanupPeriodDays": 0 }\n');
    ({ report } = doctor(t.home));
    const check = report.checks.find((c) => c.name === 'retention')!;
    expect(check.status).toBe('action');
    expect(check.message).toContain('Claude Code then writes no transcripts at all');
    expect(check.hint).toBe('set cleanupPeriodDays to the number of days to keep transcripts, e.g. 365');
  });

  it('reports a damaged database and an unusable setting as needing action', () => {
    const t = tree();
    expect(cli(t.home, ['import']).code).toBe(0);
    writeFileSync(path.join(t.home, 'data', 'config.json'), '{ "supabase.url": 42 }');
    const { report } = doctor(t.home);
    expect(report.checks.find((c) => c.name === 'config')).toMatchObject({ status: 'action' });
    expect(report.checks.find((c) => c.name === 'config')!.message).toContain('must be a string');
    writeFileSync(path.join(t.home, 'data', 'agentlogs.db'), Buffer.alloc(8192, 42));
    rmSync(path.join(t.home, 'data', 'agentlogs.db-wal'), { force: true });
    const damaged = doctor(t.home);
    expect(damaged.code).toBe(1);
    expect(damaged.report.checks.find((c) => c.name === 'database')).toMatchObject({ status: 'action' });
  });
});
