import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ago, printStatus, type SyncStatusReport } from '../src/commands/sync-status.js';
import type { CommandContext } from '../src/context.js';
import { main } from '../src/main.js';

const NOW = Date.parse('2026-12-04T15:00:00Z');
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

function report(overrides: Partial<SyncStatusReport> = {}): SyncStatusReport {
  return {
    profile: 'default',
    sync_enabled: true,
    project_url: 'https://abcd.supabase.co',
    logged_in: true,
    user: { id: 'u1', email: 'octo@example.com', github_login: 'octocat' },
    machine: { id: 'm1', name: 'laptop', device_id: 'd1' },
    cursor: 12,
    last_push: {
      at: minutesAgo(3),
      ok: true,
      operation: 'sync',
      accepted: 80,
      rejected: 0,
      deadLettered: 0,
      records: 80,
      bytes: 1000,
    },
    last_pull: { at: minutesAgo(3), ok: true, operation: 'sync', records: 0, applied: 0, keptLocal: 0 },
    pending: { sessions: 0, turns: 0 },
    pending_total: 0,
    dead_letters: [],
    conflicts: { server_won: 0, kept_local: 0 },
    connection: { checked: true, ok: true, message: 'reachable, session valid', waiting_to_pull: 0 },
    content: {
      level: 'redacted',
      source: 'profile',
      encryption: false,
      encryption_state: 'off',
      locked_fields: 0,
      excluded_sessions: 0,
      error: null,
    },
    search: { indexBytes: 2_500_000, turns: 1200, pendingTurns: 0, lockedSessions: 0 },
    retention_at_risk: null,
    quota: null,
    ...overrides,
  };
}

function text(r: SyncStatusReport): string {
  const lines: string[] = [];
  printStatus({ out: (line: string) => lines.push(line) } as unknown as CommandContext, r, NOW);
  return lines.join('\n');
}

describe('sync status in words', () => {
  it('says how long ago, in words', () => {
    expect(ago(new Date(NOW - 10_000).toISOString(), NOW)).toBe('just now');
    expect(ago(minutesAgo(1), NOW)).toBe('1 minute ago');
    expect(ago(minutesAgo(3), NOW)).toBe('3 minutes ago');
    expect(ago(minutesAgo(125), NOW)).toBe('2 hours ago');
    expect(ago(minutesAgo(5 * 24 * 60), NOW)).toMatch(/^5 days ago \(2026-11-(29|30)\)$/);
  });

  it('a logged-in machine: last push 3 minutes ago, 80 records; no internal names or raw instants', () => {
    const shown = text(report());
    expect(shown).toMatch(/^Sync: +on$/m);
    expect(shown).toMatch(/^Last push: +3 minutes ago, 80 records$/m);
    expect(shown).toMatch(/^Last pull: +3 minutes ago, nothing to move$/m);
    expect(shown).toMatch(/^Connection: +reachable, session valid; nothing waiting to be pulled$/m);
    expect(shown).not.toMatch(/deadLettered|keptLocal|accepted \d|T\d\d:\d\d:\d\d/);
  });

  it('logged out with records waiting: off until you log in, and nothing claims they will be sent now', () => {
    const shown = text(
      report({
        logged_in: false,
        user: null,
        last_push: null,
        last_pull: null,
        pending: { sessions: 5, turns: 80 },
        pending_total: 85,
        connection: { checked: false, ok: false, message: 'not logged in', waiting_to_pull: null },
      }),
    );
    expect(shown).toMatch(/^Sync: +off until you log in \('agentlogs login'\)$/m);
    expect(shown).toMatch(/^Last push: +never$/m);
    expect(shown).toMatch(/^Pending: +85 records, sent once sync is on$/m);
    expect(shown).toMatch(/^ {2}turns +80$/m);
    expect(shown).not.toMatch(/Sync: +on/);
  });

  it('conflicts, parked records and a failed push are said in words', () => {
    const shown = text(
      report({
        last_push: { at: minutesAgo(90), ok: false, operation: 'push', error: 'fetch failed' },
        last_pull: { at: minutesAgo(90), ok: true, operation: 'sync', records: 4, applied: 3, keptLocal: 1 },
        conflicts: { server_won: 0, kept_local: 1 },
        dead_letters: [
          { table: 'turns', id: 't1', version: 2, code: '22007', message: 'bad time', at: minutesAgo(90) },
        ] as SyncStatusReport['dead_letters'],
      }),
    );
    expect(shown).toMatch(/^Last push: +2 hours ago, failed: fetch failed$/m);
    expect(shown).toMatch(
      /^Last pull: +2 hours ago, 4 records \(1 local copy kept \(newer than the server's\)\)$/m,
    );
    expect(shown).toMatch(/^Refused: +1 record the server refused, parked/m);
    expect(shown).toContain('  turns/t1 v2: 22007 bad time');
  });

  const home = mkdtempSync(path.join(tmpdir(), 'agentlogs-status-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('with a project but no login, the command says sync is off until login; --json keeps machine names', async () => {
    const out: string[] = [];
    const stdout = { write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WritableStream;
    const stderr = { write: () => true } as unknown as NodeJS.WritableStream;
    const env = {
      HOME: home,
      AGENTLOGS_HOME: path.join(home, 'data'),
      AGENTLOGS_SUPABASE_URL: 'http://127.0.0.1:9',
      AGENTLOGS_SUPABASE_ANON_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl',
    };
    expect(await main(['sync', 'status'], { stdout, stderr, env })).toBe(0);
    expect(out.join('')).toMatch(/^Sync: +off until you log in \('agentlogs login'\)$/m);
    out.length = 0;
    expect(await main(['sync', 'status', '--json'], { stdout, stderr, env })).toBe(0);
    const json = JSON.parse(out.join('')) as SyncStatusReport;
    expect(json).toMatchObject({ logged_in: false, last_push: null, connection: { checked: false } });
  });
});
