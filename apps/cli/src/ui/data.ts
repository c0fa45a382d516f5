/**
 * The dashboard's data endpoints: each reads the local database (read-only) and answers JSON. The pages ask for
 * exactly what they show: a page of sessions, a page of a session's turns, one search, the cost series.
 */
import type { PriceTable } from '@agentlogs/ingest';
import {
  findVisuals,
  getSessionView,
  type LocalDatabase,
  listMachineTotals,
  listSessionTurns,
  listSessionViews,
  ROLLUP_WIDTH,
  readUsageSnapshot,
  refreshUsageRollup,
  SLOT_MS,
  type SqliteSyncStore,
  searchStatus,
  searchTurns,
  sessionIdsMatching,
  toMatchQuery,
  type VisualFiles,
} from '@agentlogs/local-store';
import type { RemoteMachine } from '@agentlogs/supabase-remote';
import { AGENT_IDS, type FilterOptions, sessionFilterOf, wholeNumber } from '../reading/filters.js';
import { turnCost, withCosts } from '../reading/views.js';
import { type ProjectLink, ProjectUnavailable } from './remote.js';

export type Query = URLSearchParams;

/** A request the endpoint cannot answer: its status and a one-line message. */
export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function filterOf(query: Query) {
  const options: FilterOptions = {};
  for (const key of ['project', 'machine', 'agent', 'since', 'until'] as const) {
    const value = query.get(key);
    if (value) options[key] = value;
  }
  return sessionFilterOf(options);
}

const numberOf = (query: Query, key: string, fallback: number, min = 0) =>
  wholeNumber(query.get(key) ?? undefined, key, fallback, min);

const COST_KEYS = new Set(['machine', 'model', 'project']);

/**
 * Cost per local day, one series per machine (or model, or project): `{days, series: [{key, costs}]}`. Read from
 * the usage rollup `stats` reads (rebuilt first when a turn changed), so the totals are those of `stats`.
 */
export function costs(database: LocalDatabase, prices: PriceTable, query: Query) {
  const by = query.get('by') ?? 'machine';
  if (!COST_KEYS.has(by)) throw new BadRequest('by must be machine, model or project');
  const keep = sessionIdsMatching(database, filterOf(query));
  const { rollup, sessions, projectPaths, machines } = readUsageSnapshot(database.sqlite, prices);
  const byKey = new Map<string, Map<string, number>>();
  const days = new Set<string>();
  const dayOf = (slot: number) => {
    const d = new Date(slot * SLOT_MS);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  let total = 0;
  const rows = rollup.rows;
  for (let at = 0; at < rows.length; at += ROLLUP_WIDTH) {
    const sessionId = rollup.sessions[rows[at]!]!;
    const session = sessions.get(sessionId);
    if (!session || !keep.has(sessionId)) continue;
    const cost = rows[at + 9]!;
    const machine = rollup.machines[rows[at + 3]!] ?? null;
    const key =
      (by === 'machine'
        ? machine
          ? (machines.get(machine) ?? machine)
          : null
        : by === 'model'
          ? rollup.models[rows[at + 2]!]
          : ((session.projectId ? projectPaths.get(session.projectId) : null) ?? session.cwd)) ?? '(unknown)';
    const day = dayOf(rows[at + 1]!);
    days.add(day);
    const series = byKey.get(key) ?? new Map<string, number>();
    series.set(day, (series.get(day) ?? 0) + cost);
    byKey.set(key, series);
    total += cost;
  }
  const sortedDays = [...days].sort();
  const series = [...byKey.entries()]
    .map(([key, values]) => ({ key, costs: sortedDays.map((d) => values.get(d) ?? 0) }))
    .filter((s) => s.costs.some((c) => c > 0))
    .sort((a, b) => b.costs.reduce((x, y) => x + y, 0) - a.costs.reduce((x, y) => x + y, 0));
  return { by, days: sortedDays, series, total_usd: total };
}

/**
 * Brings the usage rollup up to date when it is stale (a pull, or an agent's session-end hook, wrote turns since
 * it was built; `import` builds it at its end), so that the first page's cost chart does not wait for it: run
 * once as the dashboard starts, while the browser opens and loads the page. A current rollup is not read here
 * (only its flag): `/api/costs` reads it. A failure is left for `/api/costs` to report.
 */
export function warmUp(database: LocalDatabase, prices: PriceTable): void {
  try {
    refreshUsageRollup(database.sqlite, prices);
  } catch {
    // Reported by the request that needs it.
  }
}

export function sessions(database: LocalDatabase, prices: PriceTable, query: Query) {
  const page = listSessionViews(database, {
    ...filterOf(query),
    limit: numberOf(query, 'limit', 50, 1),
    offset: numberOf(query, 'offset', 0),
  });
  return { total: page.total, sessions: withCosts(database, page.sessions, prices), agents: AGENT_IDS };
}

export function session(database: LocalDatabase, prices: PriceTable, id: string) {
  const view = getSessionView(database, id);
  if (!view) throw new BadRequest('no such session', 404);
  return withCosts(database, [view], prices)[0];
}

export function turns(database: LocalDatabase, prices: PriceTable, id: string, query: Query) {
  const page = listSessionTurns(database, id, {
    offset: numberOf(query, 'offset', 0),
    limit: Math.min(500, numberOf(query, 'limit', 100, 1)),
  });
  return { ...page, turns: page.turns.map((t) => ({ ...t, cost: turnCost(prices, t) })) };
}

export function search(database: LocalDatabase, query: Query) {
  const text = query.get('q') ?? '';
  const match = toMatchQuery(text);
  if (!match) throw new BadRequest('the query has no letters or digits to look for');
  return {
    query: text,
    ...searchTurns(database, match, { ...filterOf(query), limit: numberOf(query, 'limit', 20, 1) }),
  };
}

/** The outcome of a push or pull as this machine recorded it, reduced to what the sync page shows. */
function localOutcome(outcome: Record<string, unknown> | undefined) {
  if (!outcome) return null;
  return {
    at: String(outcome.at),
    ok: outcome.ok !== false,
    operation: typeof outcome.operation === 'string' ? outcome.operation : null,
    error: typeof outcome.error === 'string' ? outcome.error : null,
  };
}

/**
 * One row of the sync page: a machine, the rows it recorded (here), and what is known of its syncing: for this
 * machine from its own records, for the others from what they reported to the project (`sync_machines`).
 */
export interface MachineSync {
  id: string;
  name: string | null;
  platform: string | null;
  this_machine: boolean;
  sessions: number;
  turns: number;
  /** When the machine last finished a sync, as the project recorded it (null: never or not asked). */
  last_sync_at: string | null;
  last_push_at: string | null;
  last_push_ok: boolean | null;
  last_pull_at: string | null;
  last_pull_ok: boolean | null;
  /** Records waiting to be pushed (null: unknown). */
  pending: number | null;
  dead_letters: number | null;
  /** Conflicts of the last push that the server's copy won, and of the last pull that the local copy won. */
  server_won: number | null;
  kept_local: number | null;
}

const numberOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The sync page's local part (no network): every machine known here, this machine's outcomes and queue. */
export async function syncStatus(database: LocalDatabase, store: SqliteSyncStore, thisMachine: string) {
  const totals = await listMachineTotals(database);
  const lastPush = await store.lastOutcome('push');
  const lastPull = await store.lastOutcome('pull');
  const pending = await store.pendingCounts([
    'machines',
    'projects',
    'sessions',
    'cognitive_commits',
    'turns',
    'visuals',
  ]);
  const deadLetters = (await store.listDeadLetters()).length;
  const machines: MachineSync[] = totals.map((m) => {
    const own = m.id === thisMachine;
    return {
      id: m.id,
      name: m.name,
      platform: m.platform,
      this_machine: own,
      sessions: m.sessions,
      turns: m.turns,
      last_sync_at: null,
      last_push_at: own ? (lastPush?.at ?? null) : null,
      last_push_ok: own && lastPush ? lastPush.ok !== false : null,
      last_pull_at: own ? (lastPull?.at ?? null) : null,
      last_pull_ok: own && lastPull ? lastPull.ok !== false : null,
      pending: own ? Object.values(pending).reduce((a, b) => a + b, 0) : null,
      dead_letters: own ? deadLetters : null,
      server_won: own ? (numberOrNull(lastPush?.rejected) ?? (lastPush ? 0 : null)) : null,
      kept_local: own ? (numberOrNull(lastPull?.keptLocal) ?? (lastPull ? 0 : null)) : null,
    };
  });
  return {
    this_machine: thisMachine,
    machines,
    last_push: localOutcome(lastPush),
    last_pull: localOutcome(lastPull),
    pending,
    dead_letters: deadLetters,
    search: searchStatus(database.sqlite),
  };
}

/**
 * The other machines' syncing as they reported it to the project (each sync sends when it pushed and pulled,
 * what it still had to send and its conflicts). A machine that synced with an older release reported only the
 * time and what it moved: its push and pull are that time when the operation did them.
 */
export function remoteMachineSync(machine: RemoteMachine) {
  const o = machine.lastOutcome ?? {};
  const operation = typeof o.operation === 'string' ? o.operation : null;
  const when = (key: string, operations: string[]) =>
    typeof o[key] === 'string'
      ? (o[key] as string)
      : operation && operations.includes(operation)
        ? machine.lastSyncAt
        : null;
  return {
    id: machine.machineId,
    name: machine.name,
    platform: machine.platform,
    last_sync_at: machine.lastSyncAt,
    last_push_at: when('push_at', ['sync', 'push', 'watch']),
    last_pull_at: when('pull_at', ['sync', 'pull', 'watch']),
    pending: numberOrNull(o.pending),
    dead_letters: numberOrNull(o.dead_letters),
    server_won: numberOrNull(o.server_won),
    kept_local: numberOrNull(o.kept_local),
  };
}

/** `/api/sync/machines`: what the project knows of each machine, or why it could not be asked. */
export async function syncMachines(link: ProjectLink | undefined) {
  if (!link) return { machines: [], error: 'the project is not asked (no sync session)' };
  try {
    return { machines: (await link.machines()).map(remoteMachineSync), error: null };
  } catch (error) {
    if (error instanceof ProjectUnavailable) return { machines: [], error: error.message };
    throw error;
  }
}

/** An image to send as it is. */
export class Binary {
  constructor(
    readonly type: string,
    readonly body: Buffer,
  ) {}
}

/**
 * `/api/visuals/<id>`: the image of a visual, from the data folder, else fetched from the project's Storage
 * (kept for the next time) when this machine pulled the visual from another one.
 */
export async function visual(
  database: LocalDatabase,
  files: VisualFiles,
  link: ProjectLink | undefined,
  id: string,
): Promise<Binary> {
  const found = (await findVisuals(database, id)).find((v) => v.id === id);
  if (!found) throw new BadRequest('no such visual', 404);
  const local = files.read(found.sha256, found.extension);
  if (local) return new Binary(found.mediaType, local);
  if (!link) throw new BadRequest('the image is not on this machine', 404);
  try {
    return new Binary(found.mediaType, await link.fetchVisual(found));
  } catch (error) {
    if (error instanceof ProjectUnavailable)
      throw new BadRequest(`the image is not on this machine: ${error.message}`, 404);
    throw error;
  }
}
