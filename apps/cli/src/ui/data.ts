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
  type SqliteSyncStore,
  searchStatus,
  searchTurns,
  toMatchQuery,
  usageGroups,
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

/** Cost per local day, one series per machine (or model, or project): `{days, series: [{key, costs}]}`. */
export function costs(database: LocalDatabase, query: Query) {
  const by = query.get('by') ?? 'machine';
  if (!COST_KEYS.has(by)) throw new BadRequest('by must be machine, model or project');
  const prices = loadPriceTable();
  const byKey = new Map<string, Map<string, number>>();
  const days = new Set<string>();
  const dayOf = (iso: string) => {
    const d = new Date(iso);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  // Groups hold no token count above 200,000 per response, where every price is linear: the price of one
  // token of each kind, times the group's sums, is what pricing each response gives.
  const rateCache = new Map<string, ReturnType<typeof rateOf>>();
  const rateOf = (model: string | null, speed: string | null) => {
    const zero = { input: 0, output: 0, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0 };
    const one = (usage: Partial<typeof zero>) => prices.cost(model, { ...zero, ...usage }, speed);
    const input = one({ input: 1 });
    if (input === null) return null;
    return {
      input,
      output: one({ output: 1 }) ?? 0,
      write5m: one({ cacheCreation: 1 }) ?? 0,
      write1h: one({ cacheCreation: 1, cacheCreation1h: 1 }) ?? 0,
      read: one({ cacheRead: 1 }) ?? 0,
    };
  };
  const unitPrices = (model: string | null, speed: string | null) => {
    const key = `${model}\u0000${speed}`;
    if (!rateCache.has(key)) rateCache.set(key, rateOf(model, speed));
    return rateCache.get(key) ?? null;
  };
  let total = 0;
  const usage = usageGroups(database, filterOf(query));
  for (const g of usage.groups) {
    const rates = unitPrices(g.model, g.speed);
    const cost =
      g.cost_usd +
      (rates
        ? g.input_tokens * rates.input +
          g.output_tokens * rates.output +
          (g.cache_creation_tokens - g.cache_creation_1h_tokens) * rates.write5m +
          g.cache_creation_1h_tokens * rates.write1h +
          g.cache_read_tokens * rates.read
        : 0);
    const machine = g.machine_id ? (usage.machines.get(g.machine_id) ?? g.machine_id) : null;
    const key =
      (by === 'machine' ? machine : by === 'model' ? g.model : usage.sessions.get(g.session_id)) ??
      '(unknown)';
    const day = dayOf(g.slot);
    days.add(day);
    const series = byKey.get(key) ?? new Map<string, number>();
    series.set(day, (series.get(day) ?? 0) + cost);
    byKey.set(key, series);
    total += cost;
  }
  const sortedDays = [...days].sort();
  const series = [...byKey.entries()]
    .map(([key, values]) => ({ key, costs: sortedDays.map((d) => values.get(d) ?? 0) }))
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
