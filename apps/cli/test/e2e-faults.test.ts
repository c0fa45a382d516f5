/**
 * Sync under failure, through the real CLI binary: killed with SIGKILL in the middle of a push, the backend
 * gone in the middle of a sync, and `sync --watch` importing, pushing, pulling, riding out an outage and
 * stopping on SIGTERM. Each test has a user of its own.
 */
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openLocalDatabase } from '@agentlogs/local-store';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claudeTree,
  eventually,
  fixtures,
  ingestFixtures,
  Machine,
  Relay,
  removeTemps,
} from './e2e-harness.js';

let backend: TestBackend;
let auth: AuthStandIn;
const relays: Relay[] = [];

const PUSH = '/rest/v1/rpc/sync_push';

const transcripts = {
  alpha: [path.join(fixtures, 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl')],
  fasthooks: [path.join(fixtures, 'oneryalcin-fasthooks/sample_main_transcript.jsonl')],
  spotter: [
    path.join(fixtures, 'marot-spotter/short.jsonl'),
    path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'),
  ],
  parser: [path.join(ingestFixtures, 'git-commit-session.jsonl')],
};

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
}, 180_000);

afterAll(async () => {
  for (const relay of relays) await relay.down();
  await backend?.close();
  removeTemps();
});

async function newRelay(): Promise<Relay> {
  const relay = new Relay(backend.url);
  await relay.up();
  relays.push(relay);
  return relay;
}

/** Live rows of a user on the server, per table (read as the database superuser). */
async function serverCounts(
  email: string,
): Promise<Record<'machines' | 'projects' | 'sessions' | 'cognitive_commits' | 'turns', number>> {
  const counts = { machines: 0, projects: 0, sessions: 0, cognitive_commits: 0, turns: 0 };
  for (const table of Object.keys(counts) as (keyof typeof counts)[]) {
    const { rows } = await backend.standIn.adminPool.query<{ n: number; ids: number }>(
      `select count(*)::int as n, count(distinct t.id)::int as ids from public.${table} t
         join auth.users u on u.id = t.user_id where u.email = $1 and t.deleted_at is null`,
      [email],
    );
    expect(rows[0]!.n).toBe(rows[0]!.ids);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

interface Stats {
  totals: { turns: number; sessions: number };
}

async function account(login: string, id: number) {
  return { id, login, email: `${login}@github.example` };
}

describe('sync under failure', { timeout: 120_000 }, () => {
  it('killed with SIGKILL in the middle of a push, then synced again: nothing lost, nothing doubled', async () => {
    const user = await account('kuser', 9001);
    const relay = await newRelay();
    const k = new Machine('killed', relay.url, backend.anonKey, { AGENTLOGS_SYNC_BATCH_SIZE: '3' });
    await k.loginAs(auth, user);
    await k.ok(['import', '--claude-dir', claudeTree(transcripts)]);
    const total = (await k.json<{ total: number }>(['sync', 'pending'])).total;
    expect(total).toBeGreaterThan(30);

    const push = k.spawn(['push']);
    push.child.stdin.end();
    relay.onForwarded = (route, count) => {
      if (route === PUSH && count === 5) push.child.kill('SIGKILL');
    };
    const killed = await push.done;
    relay.onForwarded = undefined;
    expect(killed.signal).toBe('SIGKILL');
    const onServer = await serverCounts(user.email);
    const sent = Object.values(onServer).reduce((x, y) => x + y, 0);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(total + 1);

    const again = await k.json<{ ok: boolean; pending: Record<string, number> }>(['sync']);
    expect(again.ok).toBe(true);
    expect(Object.values(again.pending).every((n) => n === 0)).toBe(true);

    const other = new Machine('checker', backend.url, backend.anonKey);
    await other.loginAs(auth, user);
    await other.ok(['sync']);
    await k.ok(['sync']);
    const statsK = await k.json<Stats>(['stats']);
    expect(await other.json<Stats>(['stats'])).toEqual(statsK);
    const after = await serverCounts(user.email);
    expect(after.turns).toBe(statsK.totals.turns);
    expect(after.sessions).toBe(statsK.totals.sessions);
    expect(after.machines).toBe(2);
  });

  it('the backend gone in the middle of a sync: the CLI backs off and finishes once it is back', async () => {
    const user = await account('ruser', 9002);
    const relay = await newRelay();
    const r = new Machine('restarted', relay.url, backend.anonKey, {
      AGENTLOGS_SYNC_BATCH_SIZE: '3',
      AGENTLOGS_SYNC_BACKOFF_MS: '300',
      AGENTLOGS_SYNC_RETRIES: '10',
    });
    await r.loginAs(auth, user);
    await r.ok(['import', '--claude-dir', claudeTree(transcripts)]);
    let outageEnded = false;
    relay.onForwarded = (route, count) => {
      if (route === PUSH && count === 2) {
        relay.onForwarded = undefined;
        void relay.down().then(() =>
          setTimeout(() => {
            void relay.up().then(() => {
              outageEnded = true;
            });
          }, 1500),
        );
      }
    };
    const result = await r.run(['sync', '--json']);
    expect(result.stderr).toMatch(/retrying in \d+\.\d s \(retry 1 of 10\)/);
    expect(result.code).toBe(0);
    expect(outageEnded).toBe(true);
    const report = JSON.parse(result.stdout) as { ok: boolean; pending: Record<string, number> };
    expect(report.ok).toBe(true);
    expect(Object.values(report.pending).every((n) => n === 0)).toBe(true);

    const other = new Machine('checker-2', backend.url, backend.anonKey);
    await other.loginAs(auth, user);
    await other.ok(['sync']);
    expect(await other.json<Stats>(['stats'])).toEqual(await r.json<Stats>(['stats']));
  });

  it('a push that keeps failing gives up with exit 5 and a one-line message; nothing is lost', async () => {
    const user = await account('duser', 9003);
    const relay = await newRelay();
    const d = new Machine('down', relay.url, backend.anonKey, { AGENTLOGS_SYNC_RETRIES: '1' });
    await d.loginAs(auth, user);
    await d.ok(['import', '--claude-dir', claudeTree({ alpha: transcripts.alpha })]);
    const pending = (await d.json<{ total: number }>(['sync', 'pending'])).total;
    await relay.down();
    const result = await d.run(['push']);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/could not be reached/);
    await relay.up();
    expect((await d.json<{ total: number }>(['sync', 'pending'])).total).toBe(pending);
    const status = await d.json<{ last_push: { ok: boolean; error: string } }>(['sync', 'status']);
    expect(status.last_push.ok).toBe(false);
    await d.ok(['push']);
    expect((await d.json<{ total: number }>(['sync', 'pending'])).total).toBe(0);
  });

  it('a record the server refuses is parked as a dead letter: push exits 1, status lists it, the rest arrives', async () => {
    const user = await account('luser', 9005);
    const l = new Machine('letters', backend.url, backend.anonKey);
    await l.loginAs(auth, user);
    await l.ok(['import', '--claude-dir', claudeTree({ alpha: transcripts.alpha })]);
    // Damage one turn the way a broken writer would: a time the server cannot read, as a new version.
    const database = openLocalDatabase({ dir: l.home });
    const turn = database.sqlite.prepare('select id from turns order by id limit 1').get() as { id: string };
    database.sqlite
      .prepare("update turns set updated_at = 'yesterday', version = version + 1 where id = ?")
      .run(turn.id);
    await database.close();

    const push = await l.run(['push', '--json']);
    expect(push.code).toBe(1);
    const report = JSON.parse(push.stdout) as {
      push: { deadLettered: number; accepted: number };
      deadLetters: number;
    };
    expect(report.push.deadLettered).toBe(1);
    expect(report.deadLetters).toBe(1);
    expect(report.push.accepted).toBeGreaterThan(0);
    const text = await l.run(['push']);
    expect(text.code).toBe(0); // nothing left to send: the dead letter waits
    const status = await l.json<{
      dead_letters: { table: string; id: string; code: string }[];
      last_push: { ok: boolean };
    }>(['sync', 'status']);
    expect(status.dead_letters).toEqual([
      expect.objectContaining({ table: 'turns', id: turn.id, code: '22007' }),
    ]);
    const shown = await l.run(['sync', 'status']);
    expect(shown.stdout).toContain(`turns/${turn.id}`);
    // --force releases it and sends everything again: it is refused again, the rest is taken back.
    const forced = await l.run(['push', '--force', '--json']);
    expect(forced.code).toBe(1);
    expect((await serverCounts(user.email)).turns).toBe(2);
  });

  it('sync --watch imports new transcripts, pushes them, pulls the other machine, rides out an outage, stops on SIGTERM (exit 0) and Ctrl-C (exit 130)', async () => {
    const user = await account('wuser', 9004);
    const relay = await newRelay();
    const w = new Machine('watcher', relay.url, backend.anonKey, {
      AGENTLOGS_SYNC_PULL_INTERVAL_MS: '1000',
      AGENTLOGS_WATCH_SCAN_MS: '1000',
      AGENTLOGS_SYNC_BACKOFF_MS: '300',
      AGENTLOGS_SYNC_BACKOFF_MAX_MS: '1000',
    });
    const other = new Machine('other-desk', backend.url, backend.anonKey);
    await w.loginAs(auth, user);
    await other.loginAs(auth, user);
    const tree = claudeTree({});
    mkdirSync(path.join(tree, 'alpha'), { recursive: true });

    const watch = w.spawn(['sync', '--watch', '--claude-dir', tree]);
    watch.child.stdin.end();
    await eventually(
      async () => (/watching/.test(watch.stderr()) ? true : undefined),
      20_000,
      'the watch to start',
    );

    // A new transcript appears: imported and pushed without any command.
    cpSync(transcripts.alpha[0]!, path.join(tree, 'alpha', 'chat.jsonl'));
    await eventually(
      async () => ((await serverCounts(user.email)).turns > 0 ? true : undefined),
      20_000,
      'the watched transcript on the server',
    );

    // The other machine pushes: the watcher pulls it on its timer.
    await other.ok(['import', '--claude-dir', claudeTree({ parser: transcripts.parser })]);
    await other.ok(['sync']);
    await eventually(
      async () => (/synced: pushed \d+, pulled [1-9]/.test(watch.stderr()) ? true : undefined),
      20_000,
      'the watcher to pull',
    );

    // The backend goes away; a new transcript waits; the backend returns and the transcript arrives.
    await relay.down();
    mkdirSync(path.join(tree, 'spotter'), { recursive: true });
    cpSync(transcripts.spotter[0]!, path.join(tree, 'spotter', 'short.jsonl'));
    await eventually(async () => (/retrying in/.test(watch.stderr()) ? true : undefined), 20_000, 'a retry');
    const beforeReturn = (await serverCounts(user.email)).sessions;
    await relay.up();
    await eventually(
      async () => ((await serverCounts(user.email)).sessions > beforeReturn ? true : undefined),
      20_000,
      'the transcript written during the outage on the server',
    );

    watch.child.kill('SIGTERM');
    const stopped = await watch.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/stopped/);
    // The stand-in serves no Realtime: the watcher says so once and relies on its pull timer.
    expect(stopped.stderr.match(/Realtime is not available/g)).toHaveLength(1);

    // Ctrl-C: the same graceful stop, exit 130.
    const again = w.spawn(['sync', '--watch', '--claude-dir', tree]);
    again.child.stdin.end();
    await eventually(
      async () => (/watching/.test(again.stderr()) ? true : undefined),
      20_000,
      'the watch to start',
    );
    again.child.kill('SIGINT');
    const interrupted = await again.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/stopped/);

    await other.ok(['sync']);
    await w.ok(['sync']);
    expect((await w.json<{ total: number }>(['sync', 'pending'])).total).toBe(0);
    expect(await w.json<Stats>(['stats'])).toEqual(await other.json<Stats>(['stats']));
  });
});
