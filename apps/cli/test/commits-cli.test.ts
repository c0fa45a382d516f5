/** `agentlogs commits …` and the local sync commands through the built binary, on a local database only. */
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeTree, fixtures, ingestFixtures, Machine, removeTemps } from './e2e-harness.js';

// No project is configured: these commands must work without one.
const m = new Machine('desk', '', '');
const env = { AGENTLOGS_SUPABASE_URL: '', AGENTLOGS_SUPABASE_ANON_KEY: '' };

interface Commit {
  id: string;
  title: string | null;
  hidden: boolean;
  closed_by: string;
  git_hash: string | null;
  machine_name: string | null;
  turns: number;
  version: number;
  pending: boolean;
}

let tree: string;

beforeAll(async () => {
  tree = claudeTree({
    parser: [path.join(ingestFixtures, 'git-commit-session.jsonl')],
    spotter: [path.join(fixtures, 'marot-spotter/short.jsonl')],
  });
  await m.ok(['import', '--claude-dir', tree], env);
}, 60_000);

afterAll(() => removeTemps());

describe('agentlogs commits', { timeout: 60_000 }, () => {
  it('lists commits newest first with --json, each with its machine name and turns', async () => {
    const list = await m.json<Commit[]>(['commits', 'list'], env);
    expect(list.length).toBeGreaterThanOrEqual(3);
    const git = list.find((c) => c.closed_by === 'git_commit');
    expect(git?.git_hash).toBe('1a2b3c4');
    for (const c of list) {
      expect(c.machine_name).toBe('desk');
      expect(c.pending).toBe(true);
      expect(c.version).toBe(1);
    }
    const text = await m.ok(['commits', 'list'], env);
    expect(text.stdout).toContain('git 1a2b3c4');
    const limited = await m.json<Commit[]>(['commits', 'list', '--limit', '1'], env);
    expect(limited).toHaveLength(1);
  });

  it('titles, hides, unhides by id prefix; each edit is a new version', async () => {
    const [first] = await m.json<Commit[]>(['commits', 'list'], env);
    const id = first!.id;
    const titled = await m.ok(['commits', 'title', id.slice(0, 8), 'Add', 'the', 'parser'], env);
    expect(titled.stdout).toContain('"Add the parser"');
    let shown = await m.json<Commit>(['commits', 'show', id], env);
    expect(shown).toMatchObject({ title: 'Add the parser', version: 2, hidden: false });
    await m.ok(['commits', 'hide', id], env);
    expect((await m.json<Commit[]>(['commits', 'list'], env)).some((c) => c.id === id)).toBe(false);
    expect((await m.json<Commit[]>(['commits', 'list', '--all'], env)).find((c) => c.id === id)?.hidden).toBe(
      true,
    );
    await m.ok(['commits', 'unhide', id], env);
    await m.ok(['commits', 'title', id, ''], env);
    shown = await m.json<Commit>(['commits', 'show', id], env);
    expect(shown).toMatchObject({ title: null, hidden: false, version: 5 });
  });

  it('delete makes a tombstone: gone from list and show, turns still counted, a re-import does not bring it back', async () => {
    const statsBefore = await m.json<{ totals: { turns: number } }>(['stats'], env);
    const git = (await m.json<Commit[]>(['commits', 'list', '--all'], env)).find(
      (c) => c.closed_by === 'git_commit',
    )!;
    await m.ok(['commits', 'delete', git.id], env);
    const show = await m.run(['commits', 'show', git.id], env);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain('is deleted');
    const again = await m.run(['commits', 'title', git.id, 'x'], env);
    expect(again.code).toBe(1);
    expect((await m.json<Commit[]>(['commits', 'list', '--all'], env)).some((c) => c.id === git.id)).toBe(
      false,
    );
    expect((await m.json<{ totals: { turns: number } }>(['stats'], env)).totals.turns).toBe(
      statsBefore.totals.turns,
    );

    mkdirSync(path.join(tree, 'copy'), { recursive: true });
    cpSync(path.join(tree, 'parser', 'git-commit-session.jsonl'), path.join(tree, 'copy', 'again.jsonl'));
    await m.ok(['import', '--claude-dir', tree], env);
    expect((await m.json<Commit[]>(['commits', 'list', '--all'], env)).some((c) => c.id === git.id)).toBe(
      false,
    );
    const pending = await m.json<{ records: { table: string; id: string; change: string }[] }>(
      ['sync', 'pending', '--limit', '1000'],
      env,
    );
    expect(pending.records.find((r) => r.id === git.id)?.change).toBe('delete');
  });

  it('unknown, ambiguous and missing ids get a one-line error and a hint', async () => {
    const unknown = await m.run(['commits', 'show', 'ffffffff-0000-0000-0000-000000000000'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no commit with id/);
    expect(unknown.stderr).toMatch(/hint: .*commits list/);
    const tooShort = await m.run(['commits', 'hide', 'ab'], env);
    expect(tooShort.code).toBe(1);
    const missing = await m.run(['commits', 'show'], env);
    expect(missing.code).toBe(2);
    const extra = await m.run(['commits', 'hide', 'a', 'b'], env);
    expect(extra.code).toBe(2);
  });
});

describe('local sync commands without a project', { timeout: 60_000 }, () => {
  it('sync pending counts per table and lists records; sync status works without a project', async () => {
    const pending = await m.json<{ total: number; tables: Record<string, number> }>(['sync', 'pending'], env);
    expect(pending.total).toBe(Object.values(pending.tables).reduce((a, b) => a + b, 0));
    expect(pending.tables.turns).toBeGreaterThan(0);
    const status = await m.run(['sync', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Backend:       not configured');
    expect(status.stdout).toMatch(/Pending:\s+\d+ records/);
    const json = await m.json<{
      logged_in: boolean;
      pending_total: number;
      connection: { checked: boolean };
    }>(['sync', 'status'], env);
    expect(json).toMatchObject({
      logged_in: false,
      pending_total: pending.total,
      connection: { checked: false },
    });
  });

  it('push without a project says how to configure one (exit 3); bad switches are refused', async () => {
    const push = await m.run(['push'], env);
    expect(push.code).toBe(3);
    expect(push.stderr).toMatch(/no Supabase project URL is configured/);
    const bad = await m.run(['sync'], { ...env, AGENTLOGS_SYNC_ENABLED: 'maybe' });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('AGENTLOGS_SYNC_ENABLED must be true or false');
    const retries = await m.run(['sync'], {
      AGENTLOGS_SUPABASE_URL: 'http://127.0.0.1:9',
      AGENTLOGS_SUPABASE_ANON_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl',
      AGENTLOGS_SYNC_RETRIES: '-1',
    });
    expect(retries.code).toBe(3);
    expect(retries.stderr).toContain('AGENTLOGS_SYNC_RETRIES');
    const combo = await m.run(['sync', '--watch', '--dry-run'], env);
    expect(combo.code).toBe(2);
    const dirs = await m.run(['sync', '--claude-dir', tree], env);
    expect(dirs.code).toBe(2);
  });

  it('sync reset needs --yes without a terminal, and then makes everything pending with the cursor at 0', async () => {
    const refused = await m.run(['sync', 'reset'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const done = await m.ok(['sync', 'reset', '--yes'], env);
    expect(done.stdout).toMatch(/^Reset: /);
    const status = await m.json<{ cursor: number }>(['sync', 'status'], env);
    expect(status.cursor).toBe(0);
  });

  it('every sync command has help text', async () => {
    for (const command of [
      ['push'],
      ['pull'],
      ['sync'],
      ['sync', 'status'],
      ['sync', 'pending'],
      ['sync', 'reset'],
      ['machines'],
      ['commits', 'list'],
      ['commits', 'show'],
      ['commits', 'title'],
      ['commits', 'hide'],
      ['commits', 'unhide'],
      ['commits', 'delete'],
    ]) {
      const help = await m.run([...command, '--help'], env);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: agentlogs ${command.join(' ')}`);
    }
  });

  it('machines --offline lists this machine with its totals', async () => {
    const machines = await m.json<
      { name: string; this_machine: boolean; turns: number; last_sync_at: null }[]
    >(['machines', '--offline'], env);
    expect(machines).toHaveLength(1);
    expect(machines[0]).toMatchObject({ name: 'desk', this_machine: true, last_sync_at: null });
    expect(machines[0]!.turns).toBeGreaterThan(0);
  });
});
