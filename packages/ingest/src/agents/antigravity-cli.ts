/**
 * Antigravity CLI (Google's successor to Gemini CLI): one folder per conversation under
 * `~/.gemini/antigravity-cli/brain/<conversation id>/`, whose `.system_generated/logs/transcript.jsonl` the CLI
 * appends one JSON line per step to: `step_index`, `source` (`USER_EXPLICIT`, `MODEL`, `SYSTEM`), `type`
 * (`USER_INPUT`, `PLANNER_RESPONSE`, tool steps such as `RUN_COMMAND` or `VIEW_FILE`, `CHECKPOINT`,
 * `SYSTEM_MESSAGE`, …), `status`, `created_at`, `content`, and on planner responses `thinking` and
 * `tool_calls: [{name, args}]`. The user's text is wrapped in `<USER_REQUEST>`; a model choice appears as a
 * `<USER_SETTINGS_CHANGE>` of "Model Selection" in the user's input, by its display name.
 *
 * The transcript records no token counts: those live in the CLI's `conversations/<id>.db` (a store of encoded
 * conversation state, which ccusage 20 reads), so sessions from this adapter carry turns and text, no usage.
 * Tool steps and system steps are not turns.
 */
import { basename, dirname, join } from 'node:path';
import type { ToolUse } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { antigravityCliEntry } from './catalog.js';
import { AgentRecords, isoTime, obj, str } from './kit.js';

interface AntigravityFileState {
  lastTime: string | null;
  model: string | null;
}

/** The user's request inside `<USER_REQUEST>…</USER_REQUEST>`, else the whole input. */
function userText(content: string): string | null {
  const m = /<USER_REQUEST>\s*([\s\S]*?)\s*<\/USER_REQUEST>/.exec(content);
  const text = (m ? m[1]! : content).trim();
  return text.length > 0 ? text : null;
}

/** The model chosen in a `Model Selection` settings change of the user's input, by its display name. */
function modelChoice(content: string): string | null {
  const m = /setting `Model Selection` from .*? to (.+?)\.?\s*(?:\n|<\/USER_SETTINGS_CHANGE>|$)/.exec(
    content,
  );
  return m ? m[1]!.trim() : null;
}

function toolCalls(value: unknown, line: number): ToolUse[] {
  if (!Array.isArray(value)) return [];
  const calls: ToolUse[] = [];
  value.forEach((c, i) => {
    const call = obj(c);
    const name = str(call?.name);
    if (call && name) calls.push({ id: str(call.id) ?? `line-${line}-${i}`, name, input: call.args ?? null });
  });
  return calls;
}

export const antigravityCli: AgentAdapter = {
  id: antigravityCliEntry.id,
  displayName: antigravityCliEntry.displayName,
  roots: antigravityCliEntry.roots,
  listFiles(root, folders) {
    // <root>/brain/<conversation>/.system_generated/logs/transcript.jsonl
    const brain = join(root, 'brain');
    return folders
      .files(brain, ['.jsonl'])
      .filter(
        (path) =>
          basename(path) === 'transcript.jsonl' &&
          basename(dirname(path)) === 'logs' &&
          basename(dirname(dirname(path))) === '.system_generated' &&
          dirname(dirname(dirname(dirname(path)))) === brain,
      )
      .sort();
  },
  openFile(file, context): TranscriptReader {
    const records = new AgentRecords('antigravity_cli');
    const st: AntigravityFileState = {
      lastTime: null,
      model: null,
      ...(context.state as AntigravityFileState | undefined),
    };
    const sessionId = basename(dirname(dirname(dirname(file.path))));
    return {
      get batch() {
        return records.batch;
      },
      readLine(text, line, report) {
        const step = obj(JSON.parse(text));
        if (!step) {
          report.malformed('not a JSON object');
          return;
        }
        const type = step.type;
        if (type !== 'USER_INPUT' && type !== 'PLANNER_RESPONSE') return;
        // A step without a readable time takes the one before it.
        const timestamp = isoTime(step.created_at) ?? st.lastTime;
        if (timestamp === null) {
          report.malformed('step without created_at');
          return;
        }
        st.lastTime = timestamp;
        const content = typeof step.content === 'string' ? step.content : '';
        if (type === 'USER_INPUT') {
          st.model = modelChoice(content) ?? st.model;
          records.addTurn({
            sessionId,
            messageId: `line-${line}`,
            timestamp,
            role: 'user',
            content: userText(content),
            model: null,
            cwd: null,
            usage: null,
          });
          return;
        }
        records.addTurn({
          sessionId,
          messageId: `line-${line}`,
          timestamp,
          role: 'assistant',
          content: content.length > 0 ? content : null,
          toolCalls: toolCalls(step.tool_calls, line),
          model: st.model,
          cwd: null,
          usage: null,
        });
      },
      takeBatch: () => records.takeBatch(),
      state: () => st,
    };
  },
};
