/**
 * The dashboard's data endpoints: each reads the local database (read-only) and answers JSON. The pages ask for
 * exactly what they show: a page of sessions, a page of a session's turns, one search, the cost series.
 */
import { loadPriceTable } from '@agentlogs/ingest';
import {
  getSessionView,
  type LocalDatabase,
  listMachineTotals,
  listSessionTurns,
  listSessionViews,
  ROLLUP_WIDTH,
  readUsageSnapshot,
  SLOT_MS,
  type SqliteSyncStore,
  searchStatus,
  searchTurns,
  sessionIdsMatching,
  toMatchQuery,
} from '@agentlogs/local-store';
import { type FilterOptions, sessionFilterOf, wholeNumber } from '../reading/filters.js';
import { turnCost, withCosts } from '../reading/views.js';

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
export function costs(database: LocalDatabase, query: Query) {
  const by = query.get('by') ?? 'machine';
  if (!COST_KEYS.has(by)) throw new BadRequest('by must be machine, model or project');
  const keep = sessionIdsMatching(database, filterOf(query));
  const { rollup, sessions, projectPaths, machines } = readUsageSnapshot(database.sqlite, loadPriceTable());
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

export function sessions(database: LocalDatabase, query: Query) {
  const page = listSessionViews(database, {
    ...filterOf(query),
    limit: numberOf(query, 'limit', 50, 1),
    offset: numberOf(query, 'offset', 0),
  });
  return { total: page.total, sessions: withCosts(database, page.sessions) };
}

export function session(database: LocalDatabase, id: string) {
  const view = getSessionView(database, id);
  if (!view) throw new BadRequest('no such session', 404);
  return withCosts(database, [view])[0];
}

export function turns(database: LocalDatabase, id: string, query: Query) {
  const prices = loadPriceTable();
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

export async function syncStatus(database: LocalDatabase, store: SqliteSyncStore, thisMachine: string) {
  const machines = await listMachineTotals(database);
  return {
    this_machine: thisMachine,
    machines,
    last_push: (await store.lastOutcome('push')) ?? null,
    last_pull: (await store.lastOutcome('pull')) ?? null,
    pending: await store.pendingCounts([
      'machines',
      'projects',
      'sessions',
      'cognitive_commits',
      'turns',
      'visuals',
    ]),
    dead_letters: (await store.listDeadLetters()).length,
    search: searchStatus(database.sqlite),
  };
}
