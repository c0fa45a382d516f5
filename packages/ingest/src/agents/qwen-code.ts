/**
 * Qwen Code: chats in `~/.qwen/projects/<project>/chats/<session>.jsonl`, one JSON line per record
 * (`uuid`, `sessionId`, `timestamp`, `type`: `user`, `assistant`, `tool_result` or `system`, `cwd`, `model`,
 * `message: {role, parts: [{text, thought?}, {functionCall}]}`, and `usageMetadata` on assistant records).
 *
 * Tokens (`usageMetadata`) use the Gemini API's names for what Qwen Code's OpenAI-compatible providers return:
 * `promptTokenCount` is the whole prompt including its cached part (`cachedContentTokenCount`, stored as cache
 * reads and taken out of input), `candidatesTokenCount` the whole completion, reasoning included
 * (`thoughtsTokenCount` is that part: `totalTokenCount` = prompt + candidates).
 */
import { basename, dirname, join } from 'node:path';
import type { TokenUsage, ToolUse } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { qwenCodeEntry } from './catalog.js';
import { AgentRecords, isoTime, obj, str, tokens, usageOrNull } from './kit.js';

/** The usage of one assistant record's `usageMetadata`. */
export function qwenUsage(value: unknown): TokenUsage | null {
  const u = obj(value);
  if (!u) return null;
  const prompt = tokens(u.promptTokenCount);
  const cached = Math.min(tokens(u.cachedContentTokenCount), prompt);
  return usageOrNull({
    input: prompt - cached,
    output: tokens(u.candidatesTokenCount),
    cacheCreation: 0,
    cacheCreation1h: 0,
    cacheRead: cached,
    reasoning: tokens(u.thoughtsTokenCount),
  });
}

/** The text parts of a message (thoughts left out), and its function calls. */
function parts(message: unknown): { text: string | null; calls: ToolUse[] } {
  const list = obj(message)?.parts;
  if (!Array.isArray(list)) return { text: null, calls: [] };
  const texts: string[] = [];
  const calls: ToolUse[] = [];
  for (const p of list) {
    const part = obj(p);
    if (!part) continue;
    const t = str(part.text);
    if (t && part.thought !== true) texts.push(t);
    const call = obj(part.functionCall);
    const name = str(call?.name);
    if (call && name) calls.push({ id: str(call.id) ?? name, name, input: call.args ?? null });
  }
  return { text: texts.length > 0 ? texts.join('\n') : null, calls };
}

export const qwenCode: AgentAdapter = {
  id: qwenCodeEntry.id,
  displayName: qwenCodeEntry.displayName,
  roots: qwenCodeEntry.roots,
  listFiles(root, folders) {
    // <root>/projects/<project>/chats/<session>.jsonl
    const projects = join(root, 'projects');
    return folders
      .files(projects, ['.jsonl'])
      .filter((path) => basename(dirname(path)) === 'chats' && dirname(dirname(dirname(path))) === projects)
      .sort();
  },
  openFile(file): TranscriptReader {
    const records = new AgentRecords('qwen_code');
    const fallbackSession = basename(file.path, '.jsonl');
    return {
      get batch() {
        return records.batch;
      },
      readLine(lineText, line, report) {
        const r = obj(JSON.parse(lineText));
        if (!r) {
          report.malformed('not a JSON object');
          return;
        }
        const type = r.type;
        // Background notifications are not the person's prompts.
        if (type !== 'assistant' && !(type === 'user' && r.subtype === undefined)) return;
        const timestamp = isoTime(r.timestamp);
        if (timestamp === null) {
          report.malformed('record without a timestamp');
          return;
        }
        const payload = obj(r.systemPayload);
        const { text, calls } = parts(r.message);
        records.addTurn({
          sessionId: str(r.sessionId) ?? fallbackSession,
          messageId: str(r.uuid) ?? `line-${line}`,
          timestamp,
          role: type === 'user' ? 'user' : 'assistant',
          // A prompt's own words, without the context hooks added to it.
          content: (type === 'user' ? str(payload?.displayText) : null) ?? text,
          toolCalls: calls,
          model: str(r.model),
          cwd: str(r.cwd),
          usage: type === 'assistant' ? qwenUsage(r.usageMetadata) : null,
        });
      },
      takeBatch: () => records.takeBatch(),
      state: () => null,
    };
  },
};
