/**
 * Gemini CLI: chats in `~/.gemini/tmp/<project hash>/chats/`, one per session. Releases before 0.40 write a
 * session as one JSON document (`session-*.json`, rewritten whole after each message); later ones append JSON
 * lines (`session-*.jsonl`: a first line with the session's id, then one line per message, a message written
 * again under its id when it changes, and `{"$set": …}` lines). `<project hash>/.project_root`, when present,
 * holds the project's folder.
 *
 * Tokens (`tokens` on `gemini` messages) follow the Gemini API: `input` is the prompt including its cached part
 * (`cached`, stored as cache reads and taken out of input), `tool` is the tool-use prompt (added to input),
 * `thoughts` are billed as output (stored in output, and as reasoning), `output` the answer.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TokenUsage, ToolUse } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { geminiCliEntry } from './catalog.js';
import { AgentRecords, isoTime, obj, str, tokens, usageOrNull } from './kit.js';

interface GeminiFileState {
  sessionId: string | null;
  lastTime: string | null;
}

/** The usage of one `gemini` message's `tokens`. */
export function geminiUsage(value: unknown): TokenUsage | null {
  const t = obj(value);
  if (!t) return null;
  const prompt = tokens(t.input ?? t.prompt);
  const cached = Math.min(tokens(t.cached), prompt);
  const thoughts = tokens(t.thoughts);
  return usageOrNull({
    input: prompt - cached + tokens(t.tool),
    output: tokens(t.output ?? t.candidates) + thoughts,
    cacheCreation: 0,
    cacheCreation1h: 0,
    cacheRead: tokens(t.cached),
    reasoning: thoughts,
  });
}

/** A message's text: a string, or `[{text}]` parts. */
function text(content: unknown): string | null {
  if (typeof content === 'string') return content.length > 0 ? content : null;
  if (Array.isArray(content)) {
    const parts = content.map((p) => str(obj(p)?.text)).filter((t): t is string => t !== null);
    return parts.length > 0 ? parts.join('\n') : null;
  }
  return null;
}

function toolCalls(value: unknown): ToolUse[] {
  if (!Array.isArray(value)) return [];
  const calls: ToolUse[] = [];
  for (const c of value) {
    const call = obj(c);
    const name = str(call?.name);
    if (call && name) calls.push({ id: str(call.id) ?? name, name, input: call.args ?? null });
  }
  return calls;
}

/** The project folder Gemini CLI records beside a project's chats, or null. */
function projectRoot(chatFile: string): string | null {
  try {
    const root = readFileSync(join(dirname(dirname(chatFile)), '.project_root'), 'utf8').trim();
    return root.length > 0 ? root : null;
  } catch {
    return null;
  }
}

export const geminiCli: AgentAdapter = {
  id: geminiCliEntry.id,
  displayName: geminiCliEntry.displayName,
  roots: geminiCliEntry.roots,
  listFiles(root, folders) {
    return folders
      .files(root, ['.json', '.jsonl'])
      .filter((path) => basename(dirname(path)) === 'chats')
      .sort();
  },
  readsWhole: (file) => file.path.endsWith('.json'),
  openFile(file, context): TranscriptReader {
    const records = new AgentRecords('gemini_cli');
    const st: GeminiFileState = {
      sessionId: null,
      lastTime: null,
      ...(context.state as GeminiFileState | undefined),
    };
    const cwd = projectRoot(file.path);
    const fallbackSession = basename(file.path).replace(/\.jsonl?$/, '');
    // A message without its own time takes the one before it (else the session's start).
    const message = (m: Record<string, unknown>, line: number, report: { malformed(r: string): void }) => {
      const type = m.type;
      if (type !== 'user' && type !== 'gemini') return;
      const timestamp = isoTime(m.timestamp) ?? st.lastTime;
      if (timestamp === null) {
        report.malformed('message without a timestamp');
        return;
      }
      st.lastTime = timestamp;
      records.addTurn({
        sessionId: st.sessionId ?? fallbackSession,
        messageId: str(m.id) ?? `line-${line}`,
        timestamp,
        role: type === 'user' ? 'user' : 'assistant',
        content: text(m.displayContent ?? m.content) ?? text(m.content),
        toolCalls: toolCalls(m.toolCalls),
        model: str(m.model),
        cwd,
        usage: type === 'gemini' ? geminiUsage(m.tokens) : null,
      });
    };
    return {
      get batch() {
        return records.batch;
      },
      readLine(lineText, line, report) {
        const value = obj(JSON.parse(lineText));
        if (!value) {
          report.malformed('not a JSON object');
          return;
        }
        const id = str(value.sessionId) ?? str(value.session_id);
        if (id) st.sessionId = id;
        if (!st.lastTime) st.lastTime = isoTime(value.startTime);
        if (Array.isArray(value.messages)) {
          // A whole session (`.json`).
          let n = 0;
          for (const m of value.messages) {
            n++;
            const msg = obj(m);
            if (msg) message(msg, n, report);
          }
          return;
        }
        if (str(value.type)) message(value, line, report);
      },
      takeBatch: () => records.takeBatch(),
      state: () => st,
    };
  },
};
