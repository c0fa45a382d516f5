/**
 * What `sessions list|show`, `search` and the dashboard show of the stored sessions: costs from the price table
 * (or the transcript's own), tool calls folded to one line, subagents nested under the call that started them.
 */
import { computeStats, loadPriceTable, type PriceTable } from '@agentlogs/ingest';
import {
  type LocalDatabase,
  listSessionTurns,
  type SessionView,
  type ToolUse,
  type TurnView,
} from '@agentlogs/local-store';

export interface SessionRow extends SessionView {
  /** USD, every response counted once (as `stats --by session`). */
  cost_usd: number;
}

/** Adds each session's cost, from the usage rollup `stats` reads (with the prices `stats` uses, when given). */
export function withCosts(
  database: LocalDatabase,
  sessions: SessionView[],
  prices?: PriceTable,
): SessionRow[] {
  if (sessions.length === 0) return [];
  const costs = new Map(
    computeStats(database, { by: 'session', prices }).rows.map((r) => [r.key, r.cost_usd]),
  );
  return sessions.map((s) => ({ ...s, cost_usd: costs.get(s.native_id ?? s.id) ?? costs.get(s.id) ?? 0 }));
}

export interface TurnRow extends TurnView {
  /** The transcript's cost, else the price table's; null for a model the table lacks. */
  cost: number | null;
}

export function turnCost(prices: PriceTable, turn: TurnView): number | null {
  if (turn.cost_usd !== null) return turn.cost_usd;
  if (turn.role !== 'assistant') return 0;
  return prices.cost(
    turn.model,
    {
      input: turn.input_tokens,
      output: turn.output_tokens,
      cacheCreation: turn.cache_creation_tokens,
      cacheCreation1h: turn.cache_creation_1h_tokens,
      cacheRead: turn.cache_read_tokens,
      reasoning: turn.reasoning_tokens,
    },
    turn.speed,
  );
}

/** Every live turn of a session, read a page at a time, with its cost. */
export function readAllTurns(database: LocalDatabase, sessionId: string, pageSize = 1000): TurnRow[] {
  const prices = loadPriceTable();
  const turns: TurnRow[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = listSessionTurns(database, sessionId, { offset, limit: pageSize });
    for (const t of page.turns) turns.push({ ...t, cost: turnCost(prices, t) });
    if (page.turns.length < pageSize) break;
  }
  return turns;
}

const SUMMARY_KEYS = ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt'];

/** A tool call on one line: its name and the input field that says most (a command, a path, a pattern). */
export function toolCallLine(call: ToolUse, width = 100): string {
  const input = (call.input ?? {}) as Record<string, unknown>;
  let detail = '';
  if (input && typeof input === 'object') {
    for (const key of SUMMARY_KEYS) {
      if (typeof input[key] === 'string' && input[key] !== '') {
        detail = input[key] as string;
        break;
      }
    }
  }
  const line = `${call.name}${detail ? ` ${detail.replace(/\s+/g, ' ')}` : ''}`;
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

export function formatBytes(chars: number): string {
  if (chars < 1000) return `${chars} B`;
  if (chars < 1_000_000) return `${(chars / 1000).toFixed(1)} kB`;
  return `${(chars / 1_000_000).toFixed(1)} MB`;
}

/** One entry of a conversation: a turn, a folded tool result, or a subagent's turns nested under its call. */
export type ConversationItem =
  | { kind: 'turn'; turn: TurnRow; results: TurnRow[] }
  | { kind: 'subagent'; agentId: string | null; turns: ConversationItem[]; cost: number };

const STARTS_SUBAGENT = new Set(['Task', 'Agent']);

/**
 * The conversation as `sessions show` prints it: a user turn that follows a turn with tool calls is that call's
 * result (folded to its size); a subagent's turns (sidechain) are nested under the latest call that starts a
 * subagent before its first turn, or stand where they happened when there is none.
 */
export function conversation(turns: TurnRow[]): ConversationItem[] {
  const main = turns.filter((t) => !t.is_sidechain);
  const agents = new Map<string, TurnRow[]>();
  for (const t of turns) {
    if (!t.is_sidechain) continue;
    const key = t.agent_id ?? '';
    const list = agents.get(key) ?? [];
    list.push(t);
    agents.set(key, list);
  }
  const thread = (list: TurnRow[]): ConversationItem[] => {
    const items: ConversationItem[] = [];
    let last: Extract<ConversationItem, { kind: 'turn' }> | null = null;
    for (const t of list) {
      if (
        t.role === 'user' &&
        last &&
        last.turn.tool_calls.length > 0 &&
        last.results.length < last.turn.tool_calls.length
      ) {
        last.results.push(t);
        continue;
      }
      last = { kind: 'turn', turn: t, results: [] };
      items.push(last);
    }
    return items;
  };
  const items = thread(main);
  for (const [agentId, list] of agents) {
    const first = list[0]!;
    const cost = list.reduce((sum, t) => sum + (t.cost ?? 0), 0);
    const nested: ConversationItem = {
      kind: 'subagent',
      agentId: agentId || null,
      turns: thread(list),
      cost,
    };
    let at = -1;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.kind !== 'turn' || item.turn.timestamp > first.timestamp) continue;
      if (item.turn.tool_calls.some((c) => STARTS_SUBAGENT.has(c.name))) at = i;
    }
    if (at < 0) {
      at = items.findIndex((i) => i.kind === 'turn' && i.turn.timestamp > first.timestamp) - 1;
      if (at < -1) at = items.length - 1;
    }
    items.splice(at + 1, 0, nested);
  }
  return items;
}
