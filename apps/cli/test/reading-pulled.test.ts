/**
 * Reading what another machine recorded: machine A imports and syncs through the test backend (real Postgres
 * with the migrations, the PostgREST/Auth/Storage stand-in); machine B only pulls. On B, `sessions list|show` and
 * `search` answer with `--json` exactly as on A, the search index covers the pulled turns, and B's dashboard shows
 * A's screenshot (fetched from Storage on first view) and A's last push, pull, queue and conflicts.
 */
import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { AuthStandIn, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claudeTree,
  eventually,
  fixtures,
  ingestFixtures,
  Machine,
  removeTemps,
  type Spawned,
} from './e2e-harness.js';

const OCTOCAT = { id: 583231, login: 'octocat', email: 'octocat@github.example' };

let backend: TestBackend;
let auth: AuthStandIn;
let a: Machine;
let b: Machine;

interface Session {
  id: string;
  native_id: string;
  machine_name: string;
  project_path: string;
  title: string | null;
  turns: number;
  tokens: number;
  cost_usd: number;
}
interface Listing {
  total: number;
  sessions: Session[];
}
interface Shown {
  session: Session;
  turns: {
    id: string;
    role: string;
    content: string | null;
    cost: number | null;
    visuals: { id: string }[];
  }[];
}
interface Found {
  total: number;
  sessions: number;
  hits: { turn_id: string; session_id: string; snippet: string; machine_name: string }[];
}

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
  a = new Machine('machine-a', backend.url, backend.anonKey);
  b = new Machine('machine-b', backend.url, backend.anonKey);
  const tree = claudeTree({
    spotter: [
      path.join(fixtures, 'marot-spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl'),
      path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'),
    ],
    webapp: [path.join(ingestFixtures, 'screenshot-session.jsonl')],
  });
  const agents = '4d5611e5-241a-462a-8d15-5122611a9569';
  cpSync(path.join(fixtures, 'marot-spotter', agents), path.join(tree, 'spotter', agents), {
    recursive: true,
  });
  await a.loginAs(auth, OCTOCAT);
  await a.ok(['config', 'set', 'sync.content', 'full']);
  await a.ok(['import', '--claude-dir', tree]);
  await a.ok(['sync']);
  await b.loginAs(auth, OCTOCAT);
  await b.ok(['sync']);
}, 240_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

describe('reading sessions pulled from another machine', { timeout: 120_000 }, () => {
  it('sessions list --json on the pulling machine is the importing machine’s list', async () => {
    const onA = await a.json<Listing>(['sessions', 'list', '--limit', '0']);
    const onB = await b.json<Listing>(['sessions', 'list', '--limit', '0']);
    expect(onA.total).toBeGreaterThanOrEqual(3);
    expect(onB.total).toBe(onA.total);
    const key = (s: Session) => ({
      id: s.id,
      native_id: s.native_id,
      machine_name: s.machine_name,
      project_path: s.project_path,
      title: s.title,
      turns: s.turns,
      tokens: s.tokens,
      cost_usd: s.cost_usd,
    });
    expect(onB.sessions.map(key)).toEqual(onA.sessions.map(key));
    expect(onB.sessions.every((s) => s.machine_name === 'machine-a')).toBe(true);
    const filtered = await b.json<Listing>(['sessions', 'list', '--machine', 'machine-a', '--limit', '0']);
    expect(filtered.total).toBe(onA.total);
    expect((await b.json<Listing>(['sessions', 'list', '--machine', 'machine-b'])).total).toBe(0);
  });

  it('sessions show --json gives the same conversation, with costs per turn and the images', async () => {
    for (const s of (await a.json<Listing>(['sessions', 'list', '--limit', '0'])).sessions) {
      const onA = await a.json<Shown>(['sessions', 'show', s.native_id]);
      const onB = await b.json<Shown>(['sessions', 'show', s.native_id]);
      expect(onB.turns).toHaveLength(s.turns);
      expect(JSON.stringify(onB.turns, null, 1)).toBe(JSON.stringify(onA.turns, null, 1));
    }
    const withImages = await b.json<Listing>(['sessions', 'list', '--project', 'webapp']);
    const shown = await b.json<Shown>(['sessions', 'show', withImages.sessions[0]!.id]);
    expect(shown.turns.flatMap((t) => t.visuals)).toHaveLength(3);
  });

  it('search --json finds pulled turns (indexed by the pull) as on the importing machine', async () => {
    const session = (await a.json<Listing>(['sessions', 'list', '--limit', '0'])).sessions.find(
      (s) => s.title && s.title.split(/\s+/).length >= 3,
    )!;
    const phrase = session.title!.replace(/"/g, ' ').split(/\s+/).filter(Boolean).slice(0, 3).join(' ');
    const onA = await a.json<Found>(['search', `"${phrase}"`, '--limit', '50']);
    const onB = await b.json<Found>(['search', `"${phrase}"`, '--limit', '50']);
    expect(onB.total).toBeGreaterThan(0);
    expect(onB.hits.map((h) => h.session_id)).toContain(session.id);
    expect(onB.hits.map((h) => [h.turn_id, h.snippet])).toEqual(onA.hits.map((h) => [h.turn_id, h.snippet]));
    expect(onB.hits.every((h) => h.machine_name === 'machine-a')).toBe(true);
    const status = JSON.parse((await b.ok(['sync', 'status', '--json'])).stdout) as {
      search: { turns: number; pendingTurns: number; indexBytes: number };
    };
    const turns = (await b.json<Listing>(['sessions', 'list', '--limit', '0'])).sessions.reduce(
      (n, s) => n + s.turns,
      0,
    );
    expect(status.search).toMatchObject({ turns, pendingTurns: 0 });
    expect(status.search.indexBytes).toBeGreaterThan(0);
  });

  it("the pulling machine's dashboard shows the other machine's screenshot and its last sync", async () => {
    const visuals = await b.json<{ id: string; sha256: string; local: boolean }[]>(['visuals', 'list']);
    expect(visuals.length).toBe(3);
    expect(visuals.every((v) => !v.local)).toBe(true);
    const ui: Spawned = b.spawn(['ui', '--no-open']);
    try {
      const url = await eventually(
        async () => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(ui.stdout())?.[0],
        30_000,
        'the URL agentlogs ui prints',
      );
      const base = url.slice(0, url.indexOf('/?'));
      const token = new URL(url).searchParams.get('token')!;
      const get = (route: string) => fetch(`${base}${route}`, { headers: { 'x-agentlogs-token': token } });
      expect((await fetch(`${base}/api/visuals/${visuals[0]!.id}`)).status).toBe(401);
      // First view: fetched from the project's Storage, checked against its hash, kept here.
      const image = await get(`/api/visuals/${visuals[0]!.id}`);
      expect(image.status).toBe(200);
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(visuals[0]!.sha256);
      expect((await get('/api/visuals/no-such-visual')).status).toBe(404);

      const machines = (await (await get('/api/sync/machines')).json()) as {
        error: string | null;
        machines: {
          name: string;
          last_sync_at: string | null;
          last_push_at: string | null;
          last_pull_at: string | null;
          pending: number | null;
          server_won: number | null;
          kept_local: number | null;
        }[];
      };
      expect(machines.error).toBeNull();
      const machineA = machines.machines.find((m) => m.name === 'machine-a')!;
      expect(machineA.last_push_at).not.toBeNull();
      expect(machineA.last_pull_at).not.toBeNull();
      expect(machineA).toMatchObject({ pending: 0, server_won: 0, kept_local: 0 });
      const local = (await (await get('/api/sync')).json()) as {
        machines: { name: string; this_machine: boolean; last_pull_at: string | null; pending: number }[];
      };
      const here = local.machines.find((m) => m.this_machine)!;
      expect(here).toMatchObject({ name: 'machine-b', pending: 0 });
      expect(here.last_pull_at).not.toBeNull();
    } finally {
      ui.child.kill('SIGTERM');
      await ui.done;
    }
    // Kept: every visual of that image is now on this machine, the other image still only in the project.
    for (const v of await b.json<{ sha256: string; local: boolean }[]>(['visuals', 'list'])) {
      expect(v.local).toBe(v.sha256 === visuals[0]!.sha256);
    }
  });

  it('conflicts show on both dashboards with the side that won', async () => {
    type Row = {
      name: string | null;
      this_machine?: boolean;
      server_won: number | null;
      kept_local: number | null;
    };
    const dashboard = async (machine: Machine) => {
      const ui = machine.spawn(['ui', '--no-open']);
      try {
        const url = await eventually(
          async () => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(ui.stdout())?.[0],
          30_000,
          'the URL agentlogs ui prints',
        );
        const base = url.slice(0, url.indexOf('/?'));
        const headers = { 'x-agentlogs-token': new URL(url).searchParams.get('token')! };
        const local = (await (await fetch(`${base}/api/sync`, { headers })).json()) as { machines: Row[] };
        const remote = (await (await fetch(`${base}/api/sync/machines`, { headers })).json()) as {
          machines: Row[];
        };
        return { here: local.machines.find((m) => m.this_machine)!, remote: remote.machines };
      } finally {
        ui.child.kill('SIGTERM');
        await ui.done;
      }
    };
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
    const commits = await b.json<{ id: string }[]>(['commits', 'list', '--all']);
    expect(commits.length).toBeGreaterThanOrEqual(2);
    const [first, second] = [commits[0]!.id, commits[1]!.id];

    // The server's copy wins: A edits first and pushes; B's later edit of the same version is refused.
    await a.ok(['commits', 'title', first, 'Title', 'from', 'A']);
    await tick();
    await b.ok(['commits', 'title', first, 'Title', 'from', 'B']);
    await a.ok(['sync']);
    expect((await b.json<{ push?: { rejected: number } }>(['push'])).push?.rejected).toBe(1);
    expect((await b.json<{ title: string }>(['commits', 'show', first])).title).toBe('Title from A');
    expect((await dashboard(b)).here).toMatchObject({ name: 'machine-b', server_won: 1 });
    const seenByA = await dashboard(a);
    expect(seenByA.remote.find((m) => m.name === 'machine-b')).toMatchObject({ server_won: 1 });
    expect(seenByA.remote.find((m) => m.name === 'machine-a')).toMatchObject({ server_won: 0 });

    // This machine's copy wins: B edits first, A's later edit reaches the server first, B's pull keeps its own.
    await b.ok(['commits', 'title', second, 'Kept', 'on', 'B']);
    await tick();
    await a.ok(['commits', 'title', second, 'Lost', 'on', 'A']);
    await a.ok(['sync']);
    expect((await b.json<{ pull?: { keptLocal: number } }>(['sync'])).pull?.keptLocal).toBe(1);
    expect((await dashboard(b)).here).toMatchObject({ kept_local: 1, server_won: 0 });
    expect((await dashboard(a)).remote.find((m) => m.name === 'machine-b')).toMatchObject({
      kept_local: 1,
      server_won: 0,
    });
  });
});
