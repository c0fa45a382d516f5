/**
 * Droid (Factory's CLI agent): one JSON-lines file per session under `~/.factory/sessions/` (in a folder per
 * project in recent releases), `<session id>.jsonl`, appended as the session goes: a `session_start` line (`id`,
 * `title`, `cwd`), then `message` lines (`id`, `timestamp`, `message: {role, content: [{type: "text" | "tool_use" |
 * "tool_result", …}]}`). Beside it, `<session id>.settings.json` holds the session's settings, `model` among them.
 *
 * Token counts: Droid keeps one running total per session (`tokenUsage` in the settings file, which ccusage 20
 * reads), not per message; no public sample of it exists to check a reading against, so sessions from this
 * adapter carry turns, text, tool calls and the model, no usage yet (docs/decisions/0099).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ToolUse } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { droidEntry } from './catalog.js';
import { AgentRecords, isoTime, obj, str } from './kit.js';

interface DroidFileState {
  sessionId: string | null;
  cwd: string | null;
}

/** A message's text blocks and tool calls (tool results are not a turn's text). */
function content(value: unknown): { text: string | null; calls: ToolUse[] } {
  if (typeof value === 'string') return { text: value.length > 0 ? value : null, calls: [] };
  if (!Array.isArray(value)) return { text: null, calls: [] };
  const texts: string[] = [];
  const calls: ToolUse[] = [];
  for (const b of value) {
    const block = obj(b);
    if (block?.type === 'text') {
      const text = str(block.text);
      if (text) texts.push(text);
    } else if (block?.type === 'tool_use') {
      const name = str(block.name);
      if (name) calls.push({ id: str(block.id) ?? name, name, input: block.input ?? null });
    }
  }
  return { text: texts.length > 0 ? texts.join('\n') : null, calls };
}

/** The model named in the session's settings file, or null. */
function settingsModel(sessionFile: string): string | null {
  try {
    const settings = obj(JSON.parse(readFileSync(sessionFile.replace(/\.jsonl$/, '.settings.json'), 'utf8')));
    return str(settings?.model);
  } catch {
    return null;
  }
}

export const droid: AgentAdapter = {
  id: droidEntry.id,
  displayName: droidEntry.displayName,
  roots: droidEntry.roots,
  listFiles(root, folders) {
    return folders.jsonlFiles(root).sort();
  },
  openFile(file, context): TranscriptReader {
    const records = new AgentRecords('droid');
    const st: DroidFileState = {
      sessionId: null,
      cwd: null,
      ...(context.state as DroidFileState | undefined),
    };
    const fallbackSession = basename(file.path, '.jsonl');
    let model: string | null | undefined;
    return {
      get batch() {
        return records.batch;
      },
      readLine(text, line, report) {
        // Droid leaves an empty line at the end of some sessions.
        if (text.trim().length === 0) return;
        const record = obj(JSON.parse(text));
        if (!record) {
          report.malformed('not a JSON object');
          return;
        }
        if (record.type === 'session_start') {
          st.sessionId = str(record.id) ?? st.sessionId;
          st.cwd = str(record.cwd) ?? st.cwd;
          return;
        }
        if (record.type !== 'message') return;
        const message = obj(record.message);
        const role = message?.role;
        if (role !== 'user' && role !== 'assistant') return;
        const { text: body, calls } = content(message?.content);
        // A user message holding only tool results is the tools' answer, not a turn.
        if (body === null && calls.length === 0) return;
        const timestamp = isoTime(record.timestamp);
        if (timestamp === null) {
          report.malformed('message without a timestamp');
          return;
        }
        if (role === 'assistant' && model === undefined) model = settingsModel(file.path);
        records.addTurn({
          sessionId: st.sessionId ?? fallbackSession,
          messageId: str(record.id) ?? `line-${line}`,
          timestamp,
          role,
          content: body,
          toolCalls: calls,
          model: role === 'assistant' ? (model ?? null) : null,
          cwd: st.cwd,
          usage: null,
        });
      },
      takeBatch: () => records.takeBatch(),
      state: () => st,
    };
  },
};
