/**
 * Two machines, one user, the real CLI binary against the test backend (Postgres + the PostgREST/Auth
 * stand-in), wired only through the environment a user sets. Each step builds on the previous one.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, claudeTree, fixtures, ingestFixtures, Machine, removeTemps } from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };
const MONALISA = { id: 777, login: 'monalisa', email: 'monalisa@github.example' };

let backend: TestBackend;
let auth: AuthStandIn;
let a: Machine;
let b: Machine;
let treeA: string;
let treeB: string;

interface Stats {
  totals: Record<string, unknown>;
  rows: { key: string }[];
}
interface Commit {
  id: string;
  title: string | null;
  hidden: boolean;
  closed_by: string;
  git_hash: string | null;
  machine_name: string | null;
}
interface RunReport {
  ok: boolean;
  pull?: { records: number; applied: number; keptLocal: number };
  push?: { records: number; accepted: number; rejected: number; deadLettered: number };
  pending: Record<string, number>;
}
interface DryRun {
  pull?: { records: number };
  push?: { records: number; accepted: number; serverWins: number };
}

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
  treeA = claudeTree({
    alpha: [path.join(fixtures, 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl')],
    fasthooks: [path.join(fixtures, 'oneryalcin-fasthooks/sample_main_transcript.jsonl')],
  });
  treeB = claudeTree({
    spotter: [
      path.join(fixtures, 'marot-spotter/short.jsonl'),
      path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'),
    ],
    parser: [path.join(ingestFixtures, 'git-commit-session.jsonl')],
  });
  a = new Machine('machine-a', backend.url, backend.anonKey);
  b = new Machine('machine-b', backend.url, backend.anonKey);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

describe('two machines, one user', { timeout: 120_000 }, () => {
  it('sync refuses before login (exit 4) and when AGENTLOGS_SYNC_ENABLED=false (exit 3), saying what to do', async () => {
    const before = await a.run(['sync']);
    expect(before.code).toBe(4);
    expect(before.stderr).toMatch(/not logged in/);
    expect(before.stderr).toMatch(/agentlogs login/);
    const off = await a.run(['push'], { AGENTLOGS_SYNC_ENABLED: 'false' });
    expect(off.code).toBe(3);
    expect(off.stderr).toContain('sync is turned off');
    expect(off.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('both log in as the same user and import different transcripts', async () => {
    await a.loginAs(auth, OCTOCAT);
    await b.loginAs(auth, OCTOCAT);
    await a.ok(['import', '--claude-dir', treeA]);
    await b.ok(['import', '--claude-dir', treeB]);
    const pending = await a.json<{ total: number; tables: Record<string, number> }>(['sync', 'pending']);
    expect(pending.tables.turns).toBeGreaterThan(0);
  });

  it('--dry-run counts come from the server and match what the real sync then does', async () => {
    const dry = await a.json<DryRun>(['sync', '--dry-run']);
    const localPending = (await a.json<{ total: number }>(['sync', 'pending'])).total;
    expect(dry.push?.records).toBe(localPending);
    // Both machines registered at login: the server holds their machine rows.
    expect(dry.pull?.records).toBe(2);
    const real = await a.json<RunReport>(['sync']);
    expect(real.ok).toBe(true);
    expect(real.pull?.records).toBe(dry.pull?.records);
    expect(real.push?.accepted).toBe(dry.push?.accepted);
    // A's machine row: the one registered at login claimed version 1 first and wins. In a sync, the pull
    // before the push already replaced the local copy, so the push has nothing left to lose.
    expect(dry.push?.serverWins).toBe(1);
    expect(real.push?.rejected).toBe(0);
    expect(real.pull?.applied).toBe(dry.pull?.records);
    expect(Object.values(real.pending).every((n) => n === 0)).toBe(true);

    const dryPushB = await b.json<DryRun>(['push', '--dry-run']);
    const pushB = await b.json<RunReport>(['push']);
    expect(pushB.push?.accepted).toBe(dryPushB.push?.accepted);
    expect(pushB.push?.rejected).toBe(dryPushB.push?.serverWins);
    // A pushed before B, so B's cursor is behind A's rows and B pulls its own rows back too: the preview
    // counts them as well.
    const dryPullB = await b.json<DryRun>(['pull', '--dry-run']);
    const pullB = await b.json<RunReport>(['pull']);
    expect(pullB.pull?.records).toBe(dryPullB.pull?.records);
    expect(pullB.pull?.records).toBeGreaterThan(dry.push?.records ?? 0);

    const nothing = await a.json<DryRun>(['push', '--dry-run']);
    expect(nothing.push?.records).toBe(0);
  });

  it('both converge: stats --json identical on A and B and equal to the union imported on one machine', async () => {
    await a.ok(['sync']);
    await b.ok(['sync']);
    const statsA = await a.json<Stats>(['stats']);
    const statsB = await b.json<Stats>(['stats']);
    expect(statsB).toEqual(statsA);

    const union = new Machine('union', backend.url, backend.anonKey);
    await union.ok(['import', '--claude-dir', treeA, '--claude-dir', treeB]);
    expect(await union.json<Stats>(['stats'])).toEqual(statsA);
    expect((statsA.totals as { turns: number }).turns).toBeGreaterThan(0);

    // By origin machine, with names (the machines rows are synced).
    const byMachineA = await a.json<Stats>(['stats', '--by', 'machine']);
    const byMachineB = await b.json<Stats>(['stats', '--by', 'machine']);
    expect(byMachineB).toEqual(byMachineA);
    expect(byMachineA.rows.map((r) => r.key).sort()).toEqual(['machine-a', 'machine-b']);

    const machines = await a.json<
      { name: string; last_sync_at: string | null; turns: number; this_machine: boolean }[]
    >(['machines']);
    expect(machines.map((m) => m.name).sort()).toEqual(['machine-a', 'machine-b']);
    for (const m of machines) {
      expect(m.last_sync_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(m.turns).toBeGreaterThan(0);
    }
    expect(machines.filter((m) => m.this_machine).map((m) => m.name)).toEqual(['machine-a']);
  });

  it('a title edited on B reaches A; a hidden flag syncs and unhide brings it back', async () => {
    const commits = await b.json<Commit[]>(['commits', 'list']);
    const target = commits.find((c) => c.machine_name === 'machine-a');
    expect(target).toBeDefined();
    const id = target!.id;
    await b.ok(['commits', 'title', id, 'Config', 'parser', 'rewrite']);
    await b.ok(['commits', 'hide', id]);
    await b.ok(['sync']);
    await a.ok(['sync']);
    const shown = await a.json<Commit>(['commits', 'show', id]);
    expect(shown.title).toBe('Config parser rewrite');
    expect(shown.hidden).toBe(true);
    expect((await a.json<Commit[]>(['commits', 'list'])).some((c) => c.id === id)).toBe(false);
    expect((await a.json<Commit[]>(['commits', 'list', '--all'])).some((c) => c.id === id)).toBe(true);
    await a.ok(['commits', 'unhide', id.slice(0, 8)]);
    await a.ok(['sync']);
    await b.ok(['sync']);
    expect((await b.json<Commit>(['commits', 'show', id])).hidden).toBe(false);
  });

  it('a commit deleted on A disappears on B, and a re-import on B does not bring it back', async () => {
    const commits = await a.json<Commit[]>(['commits', 'list', '--all']);
    const target = commits.find((c) => c.closed_by === 'git_commit');
    expect(target?.machine_name).toBe('machine-b');
    const id = target!.id;
    const deleted = await a.run(['commits', 'delete', id]);
    expect(deleted.code).toBe(0);
    expect((await a.run(['commits', 'show', id])).code).toBe(1);
    await a.ok(['sync']);
    await b.ok(['sync']);
    expect((await b.json<Commit[]>(['commits', 'list', '--all'])).some((c) => c.id === id)).toBe(false);

    // The same transcript under another file name is read from scratch: the tombstoned id stays deleted.
    const source = path.join(treeB, 'parser', 'git-commit-session.jsonl');
    cpSync(source, path.join(treeB, 'parser', 'git-commit-session-copy.jsonl'));
    await b.ok(['import', '--claude-dir', treeB]);
    expect((await b.json<Commit[]>(['commits', 'list', '--all'])).some((c) => c.id === id)).toBe(false);
    await b.ok(['sync']);
    await a.ok(['sync']);
    expect((await a.json<Commit[]>(['commits', 'list', '--all'])).some((c) => c.id === id)).toBe(false);
    expect(await b.json<Stats>(['stats'])).toEqual(await a.json<Stats>(['stats']));
  });

  it('new lines on B reach A; sync with nothing to do moves nothing', async () => {
    const file = path.join(treeB, 'spotter', 'short.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    appendFileSync(
      file,
      `${JSON.stringify({ ...last, uuid: '0b6f3c1e-1111-4a2b-9c3d-000000000001', parentUuid: last.uuid, timestamp: '2026-03-01T10:00:00.000Z' })}\n`,
    );
    await b.ok(['import', '--claude-dir', treeB]);
    await b.ok(['sync']);
    await a.ok(['sync']);
    expect(await a.json<Stats>(['stats'])).toEqual(await b.json<Stats>(['stats']));
    const idle = await a.json<RunReport>(['sync']);
    expect(idle.pull?.records).toBe(0);
    expect(idle.push?.records).toBe(0);
  });

  it('sync status shows the user, machine, backend, last push and pull, and a working connection', async () => {
    const status = await a.json<{
      logged_in: boolean;
      user: { github_login: string };
      machine: { name: string };
      project_url: string;
      last_push: { ok: boolean };
      last_pull: { ok: boolean };
      pending_total: number;
      dead_letters: unknown[];
      connection: { ok: boolean; waiting_to_pull: number };
    }>(['sync', 'status']);
    expect(status.logged_in).toBe(true);
    expect(status.user.github_login).toBe('octocat');
    expect(status.machine.name).toBe('machine-a');
    expect(status.project_url).toBe(backend.url);
    expect(status.last_push.ok).toBe(true);
    expect(status.last_pull.ok).toBe(true);
    expect(status.pending_total).toBe(0);
    expect(status.dead_letters).toEqual([]);
    expect(status.connection).toMatchObject({ ok: true, waiting_to_pull: 0 });
    const text = await a.ok(['sync', '--status']);
    expect(text.stdout).toContain('machine-a');
    expect(text.stdout).toContain('Connection:    reachable');
  });

  it('sync reset --yes re-downloads and re-compares everything without changing the data', async () => {
    const before = await a.json<Stats>(['stats']);
    const refused = await a.run(['sync', 'reset']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    await a.ok(['sync', 'reset', '--yes']);
    const dry = await a.json<DryRun>(['sync', '--dry-run']);
    expect(dry.push?.serverWins).toBe(0);
    const after = await a.json<RunReport>(['sync']);
    expect(after.pull?.records).toBe(dry.pull?.records);
    expect(after.pull?.records).toBeGreaterThan(0);
    expect(Object.values(after.pending).every((n) => n === 0)).toBe(true);
    expect(await a.json<Stats>(['stats'])).toEqual(before);
    const forced = await a.json<RunReport>(['push', '--force']);
    expect(forced.push?.rejected).toBe(0);
    expect(forced.push?.accepted).toBeGreaterThan(0);
    expect(await b.json<RunReport>(['pull'])).toMatchObject({ pull: { records: 0 } });
  });

  it('a named profile has its own login and database: it syncs everything, the default profile stays logged out', async () => {
    const p = new Machine('profiled', backend.url, backend.anonKey);
    await p.loginAs(auth, OCTOCAT, ['--profile', 'work']);
    const outside = await p.run(['sync']);
    expect(outside.code).toBe(4);
    await p.ok(['--profile', 'work', 'sync']);
    expect(await p.json<Stats>(['--profile', 'work', 'stats'])).toEqual(await a.json<Stats>(['stats']));
    expect((await p.json<Stats>(['stats'])).rows).toEqual([]);
    const status = await p.json<{ profile: string; logged_in: boolean }>([
      'sync',
      'status',
      '--profile',
      'work',
    ]);
    expect(status).toMatchObject({ profile: 'work', logged_in: true });
  });

  it('on a terminal, sync draws progress bars; a transcript already synced from another machine counts once, for its first importer', async () => {
    const t = new Machine('machine-t', backend.url, backend.anonKey);
    await t.loginAs(auth, OCTOCAT);
    const beta = claudeTree({
      beta: [path.join(fixtures, 'ccusage-fixtures/claude/projects/project-beta/session-beta/chat.jsonl')],
    });
    await t.ok(['import', '--claude-dir', treeA, '--claude-dir', beta]);
    // `script` gives the CLI a pseudo-terminal (of 0 columns: the bar falls back to 80).
    const command = [process.execPath, bin, 'sync'].map((w) => `'${w}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: t.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8'); // whole characters, never a UTF-8 sequence split across chunks
    child.stdout.on('data', (d: string) => {
      output += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(output).toMatch(/pulling \[[#-]+\] +\d+% [\d,]+\/[\d,]+ rows, [\d.]+ (B|KiB|MiB)/);
    expect(output).toMatch(/pushing \[[#-]+\] +\d+% [\d,]+\/[\d,]+ rows, [\d.]+ (B|KiB|MiB)/);
    expect(output).toMatch(/Sync done/);
    await a.ok(['sync']);
    const statsA = await a.json<Stats>(['stats']);
    expect(await t.json<Stats>(['stats'])).toEqual(statsA);
    // treeA stays machine A's (it reached the server first); only the new transcript is machine T's.
    const byMachine = await a.json<Stats>(['stats', '--by', 'machine']);
    expect(byMachine.rows.map((r) => r.key).sort()).toEqual(['machine-a', 'machine-b', 'machine-t']);
    expect(await t.json<Stats>(['stats', '--by', 'machine'])).toEqual(byMachine);
    const rowOfT = byMachine.rows.find((r) => r.key === 'machine-t') as unknown as { sessions: number };
    expect(rowOfT.sessions).toBe(1);
  });

  it('a second user sees nothing of the first', async () => {
    const other = new Machine('other-laptop', backend.url, backend.anonKey);
    await other.loginAs(auth, MONALISA);
    const dry = await other.json<DryRun>(['pull', '--dry-run']);
    expect(dry.pull?.records).toBe(1); // only their own machine, registered at login
    await other.ok(['sync']);
    const stats = await other.json<Stats>(['stats']);
    expect((stats.totals as { turns: number }).turns).toBe(0);
    expect(await other.json<Commit[]>(['commits', 'list', '--all'])).toEqual([]);
    const machines = await other.json<{ name: string }[]>(['machines']);
    expect(machines.map((m) => m.name)).toEqual(['other-laptop']);
  });
});
