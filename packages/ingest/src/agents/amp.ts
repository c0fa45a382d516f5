/**
 * Amp (Sourcegraph's coding agent, CLI and editor extension): one JSON document per thread,
 * `~/.local/share/amp/threads/T-<uuid>.json`, rewritten whole as the thread grows. A thread holds its `id`,
 * `created` (epoch ms), `env.initial.trees[].uri` (the workspace folders), `messages[]` (`role`, `messageId`,
 * `content` as text or `[{type: "text" | "tool_use" | "tool_result" | "thinking", …}]`, `meta.sentAt` on user
 * messages, `usage` on assistant messages) and, in releases before January 2026, `usageLedger.events[]`.
 *
 * Usage follows Amp's own records, as ccusage 20 reads them:
 * - with `usageLedger.events` (an array), each event is one model call: `tokens.input` / `tokens.output`, its
 *   `model` and `timestamp`; the cache reads and writes come from the assistant message named by `toMessageId`
 *   (`usage.cacheReadInputTokens`, `usage.cacheCreationInputTokens`). The messages' own usage is then not
 *   counted again. An event lands on the turn of its `toMessageId` message (else on a turn of its own).
 * - otherwise each assistant message's `usage`: `inputTokens` (without the cache), `outputTokens`,
 *   `cacheCreationInputTokens`, `cacheReadInputTokens`, its `model` and `timestamp`.
 * Where only `total` / `totalTokens` is recorded, the tokens not accounted for count as output.
 * Amp bills in credits, not dollars: `credits` is not a cost, and the cost comes from the price table.
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenUsage, ToolUse } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { ampEntry } from './catalog.js';
import { AgentRecords, isoTime, obj, str, tokens, usageOrNull } from './kit.js';

/** Token counts with the unaccounted part of a recorded total counted as output (when output is zero). */
function withTotal(u: TokenUsage, total: number): TokenUsage | null {
  const known = u.input + u.output + u.cacheCreation + u.cacheRead;
  if (total > known && u.output === 0) u.output = total - known;
  return usageOrNull(u);
}

/** The usage of one assistant message's `usage` (current threads). */
export function ampMessageUsage(value: unknown): TokenUsage | null {
  const u = obj(value);
  if (!u) return null;
  return withTotal(
    {
      input: tokens(u.inputTokens),
      output: tokens(u.outputTokens),
      cacheCreation: tokens(u.cacheCreationInputTokens),
      cacheCreation1h: 0,
      cacheRead: tokens(u.cacheReadInputTokens),
      reasoning: 0,
    },
    tokens(u.totalTokens),
  );
}

/** The usage of one `usageLedger` event, with the cache counts of the message it answered. */
export function ampLedgerUsage(event: Record<string, unknown>, answered: unknown): TokenUsage | null {
  const t = obj(event.tokens);
  if (!t) return null;
  const cache = obj(obj(answered)?.usage);
  return withTotal(
    {
      input: tokens(t.input),
      output: tokens(t.output),
      cacheCreation: tokens(cache?.cacheCreationInputTokens),
      cacheCreation1h: 0,
      cacheRead: tokens(cache?.cacheReadInputTokens),
      reasoning: 0,
    },
    tokens(t.total),
  );
}

/** A message's text blocks (thinking left out) and its tool calls. */
function content(value: unknown): { text: string | null; calls: ToolUse[] } {
  if (typeof value === 'string') return { text: value.length > 0 ? value : null, calls: [] };
  if (!Array.isArray(value)) return { text: null, calls: [] };
  const texts: string[] = [];
  const calls: ToolUse[] = [];
  for (const b of value) {
    const block = obj(b);
    if (!block) continue;
    if (block.type === 'text') {
      const text = str(block.text);
      if (text) texts.push(text);
    } else if (block.type === 'tool_use') {
      const name = str(block.name);
      if (name) calls.push({ id: str(block.id) ?? name, name, input: block.input ?? null });
    }
  }
  return { text: texts.length > 0 ? texts.join('\n') : null, calls };
}

/** The thread's first workspace folder (`file://` URI), or null. */
function workspace(thread: Record<string, unknown>): string | null {
  const trees = obj(obj(thread.env)?.initial)?.trees;
  if (!Array.isArray(trees)) return null;
  for (const t of trees) {
    const uri = str(obj(t)?.uri);
    if (uri?.startsWith('file:')) {
      try {
        return fileURLToPath(uri);
      } catch {
        // a URI of another platform's form: not a folder here
      }
    }
  }
  return null;
}

/** A message's own time: `usage.timestamp` (assistant), `meta.sentAt` (user) or `timestamp`. */
function ownTime(m: Record<string, unknown>): string | null {
  return isoTime(obj(m.usage)?.timestamp) ?? isoTime(obj(m.meta)?.sentAt) ?? isoTime(m.timestamp);
}

/** The id a message's turn takes: its `messageId`, else its place in the thread. */
function messageKey(m: Record<string, unknown>, index: number): string {
  const id = m.messageId;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return str(id) ?? `index-${index}`;
}

export const amp: AgentAdapter = {
  id: ampEntry.id,
  displayName: ampEntry.displayName,
  roots: ampEntry.roots,
  listFiles(root, folders) {
    // <root>/threads/<thread id>.json
    const threads = join(root, 'threads');
    return folders
      .files(threads, ['.json'])
      .filter((path) => dirname(path) === threads)
      .sort();
  },
  readsWhole: () => true,
  openFile(file): TranscriptReader {
    const records = new AgentRecords('amp');
    return {
      get batch() {
        return records.batch;
      },
      readLine(text, _line, report) {
        const thread = obj(JSON.parse(text));
        if (!thread) {
          report.malformed('not a JSON object');
          return;
        }
        const sessionId = str(thread.id) ?? basename(file.path, '.json');
        const cwd = workspace(thread);
        const messages = (Array.isArray(thread.messages) ? thread.messages : []).map(obj);
        const ledger = obj(thread.usageLedger)?.events;
        const events = Array.isArray(ledger) ? ledger.map(obj) : null;

        // Times: a message's own, else the one before it, else the first one recorded, else the thread's creation.
        const times: (string | null)[] = messages.map((m) => (m ? ownTime(m) : null));
        const first = times.find((t) => t !== null) ?? isoTime(thread.created);
        let last: string | null = first;
        for (let i = 0; i < times.length; i++) {
          if (times[i] === null) times[i] = last;
          else last = times[i]!;
        }

        // With a ledger, usage comes from its events, each landing on the message it answered.
        const ledgerOn = new Map<number, { usage: TokenUsage; model: string; timestamp: string }>();
        const loose: { key: string; usage: TokenUsage; model: string; timestamp: string }[] = [];
        if (events) {
          events.forEach((event, n) => {
            if (!event) return;
            const timestamp = isoTime(event.timestamp);
            const model = str(event.model);
            if (timestamp === null || model === null) return;
            const to = typeof event.toMessageId === 'number' ? event.toMessageId : null;
            const index =
              to === null ? -1 : messages.findIndex((m) => m?.role === 'assistant' && m.messageId === to);
            const usage = ampLedgerUsage(event, index >= 0 ? messages[index] : null);
            if (usage === null) return;
            if (index >= 0 && !ledgerOn.has(index)) ledgerOn.set(index, { usage, model, timestamp });
            else loose.push({ key: `ledger-${str(event.id) ?? n}`, usage, model, timestamp });
          });
        }

        messages.forEach((m, index) => {
          if (!m || (m.role !== 'user' && m.role !== 'assistant')) return;
          const assistant = m.role === 'assistant';
          const fromLedger = ledgerOn.get(index);
          // A message's usage counts when it names its model and time (as ccusage reads it).
          const usageTime = isoTime(obj(m.usage)?.timestamp) ?? isoTime(m.timestamp);
          const own = assistant && !events && usageTime ? ampMessageUsage(m.usage) : null;
          const usageModel = str(obj(m.usage)?.model) ?? str(m.model);
          const timestamp = fromLedger?.timestamp ?? times[index];
          if (!timestamp) return;
          const { text, calls } = content(m.content);
          records.addTurn({
            sessionId,
            messageId: messageKey(m, index),
            timestamp,
            role: assistant ? 'assistant' : 'user',
            content: text,
            toolCalls: calls,
            model: fromLedger?.model ?? (assistant ? usageModel : null),
            cwd,
            usage: fromLedger?.usage ?? (own && usageModel ? own : null),
          });
        });
        for (const e of loose) {
          records.addTurn({
            sessionId,
            messageId: e.key,
            timestamp: e.timestamp,
            role: 'assistant',
            content: null,
            model: e.model,
            cwd,
            usage: e.usage,
          });
        }
      },
      takeBatch: () => records.takeBatch(),
      state: () => null,
    };
  },
};
