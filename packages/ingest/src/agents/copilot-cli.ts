/**
 * GitHub Copilot CLI: one event log per session, `~/.copilot/session-state/<session id>/events.jsonl` (earlier
 * releases: `session-state/<session id>.jsonl`). Each line is an event `{type, data, id, timestamp}`:
 * `session.start` (session id, `context.cwd`, selected model), `user.message`, `assistant.message` (text, tool
 * requests, model, `outputTokens`), `session.model_change`, and `session.shutdown`, whose `modelMetrics` give each
 * model's usage for the run that ends there.
 *
 * Tokens: the usage Copilot CLI records is per model and per run, at shutdown (`modelMetrics.<model>.usage`:
 * `inputTokens` including the cached part, `outputTokens`, `cacheReadTokens`, `cacheWriteTokens`); it is stored on
 * one turn per model of that shutdown event, as ccusage counts it. Messages' own `outputTokens` are not added
 * again.
 */
import { basename, dirname, normalize } from 'node:path';
import type { TokenUsage, ToolUse } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { copilotCliEntry } from './catalog.js';
import { AgentRecords, isoTime, obj, str, tokens, usageOrNull } from './kit.js';

interface CopilotFileState {
  sessionId: string | null;
  cwd: string | null;
  model: string | null;
}

/** The usage of one model's `modelMetrics` entry at shutdown. */
export function copilotUsage(metrics: unknown): TokenUsage | null {
  const u = obj(obj(metrics)?.usage);
  if (!u) return null;
  const cacheRead = tokens(u.cacheReadTokens);
  return usageOrNull({
    input: Math.max(0, tokens(u.inputTokens) - cacheRead),
    output: tokens(u.outputTokens),
    cacheCreation: tokens(u.cacheWriteTokens),
    cacheCreation1h: 0,
    cacheRead,
    reasoning: 0,
  });
}

function toolRequests(value: unknown): ToolUse[] {
  if (!Array.isArray(value)) return [];
  const calls: ToolUse[] = [];
  for (const r of value) {
    const req = obj(r);
    const name = str(req?.name);
    if (req && name) calls.push({ id: str(req.toolCallId) ?? name, name, input: req.arguments ?? null });
  }
  return calls;
}

export const copilotCli: AgentAdapter = {
  id: copilotCliEntry.id,
  displayName: copilotCliEntry.displayName,
  roots: copilotCliEntry.roots,
  listFiles(root, folders) {
    // <root>/<session>/events.jsonl, or <root>/<session>.jsonl
    const base = normalize(root).replace(/[\\/]+$/, '');
    return folders
      .files(base, ['.jsonl'])
      .filter((path) =>
        basename(path) === 'events.jsonl' ? dirname(dirname(path)) === base : dirname(path) === base,
      )
      .sort();
  },
  openFile(file, context): TranscriptReader {
    const records = new AgentRecords('copilot_cli');
    const st: CopilotFileState = {
      sessionId: null,
      cwd: null,
      model: null,
      ...(context.state as CopilotFileState | undefined),
    };
    const fallbackSession =
      basename(file.path) === 'events.jsonl' ? basename(dirname(file.path)) : basename(file.path, '.jsonl');
    return {
      get batch() {
        return records.batch;
      },
      readLine(text, line, report) {
        const e = obj(JSON.parse(text));
        if (!e) {
          report.malformed('not a JSON object');
          return;
        }
        const type = str(e.type);
        const data = obj(e.data) ?? {};
        const eventId = str(e.id) ?? `line-${line}`;
        if (type === 'session.start' || type === 'session.resume') {
          st.sessionId = str(data.sessionId) ?? st.sessionId;
          st.cwd = str(obj(data.context)?.cwd) ?? st.cwd;
          st.model = str(data.selectedModel) ?? st.model;
          return;
        }
        if (type === 'session.model_change') {
          st.model = str(data.newModel) ?? st.model;
          return;
        }
        if (type !== 'user.message' && type !== 'assistant.message' && type !== 'session.shutdown') return;
        const timestamp = isoTime(e.timestamp);
        if (timestamp === null) {
          report.malformed('event without a timestamp');
          return;
        }
        const sessionId = st.sessionId ?? fallbackSession;
        if (type === 'session.shutdown') {
          const metrics = obj(data.modelMetrics);
          if (!metrics) return;
          for (const [model, m] of Object.entries(metrics)) {
            const usage = copilotUsage(m);
            if (!usage) continue;
            records.addTurn({
              sessionId,
              messageId: `${eventId}:${model}`,
              timestamp,
              role: 'assistant',
              content: null,
              model,
              cwd: st.cwd,
              usage,
            });
          }
          return;
        }
        const model = str(data.model);
        if (model) st.model = model;
        records.addTurn({
          sessionId,
          messageId: str(data.messageId) ?? eventId,
          timestamp,
          role: type === 'user.message' ? 'user' : 'assistant',
          content: str(data.content),
          toolCalls: type === 'assistant.message' ? toolRequests(data.toolRequests) : [],
          model: type === 'assistant.message' ? (model ?? st.model) : null,
          cwd: st.cwd,
          usage: null,
        });
      },
      takeBatch: () => records.takeBatch(),
      state: () => st,
    };
  },
};
