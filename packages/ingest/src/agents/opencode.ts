/**
 * OpenCode: its storage folder `~/.local/share/opencode/storage/` holds one JSON file per message,
 * `message/<session id>/<message id>.json` (role, times, `modelID`/`providerID` or a nested `model`, `tokens`,
 * `cost` in USD, `path.cwd`), rewritten whole as the message completes; the message's text is in its parts,
 * `part/<message id>/<part id>.json`. (Releases that keep everything in `opencode.db` are not read yet.)
 *
 * Tokens as OpenCode records them: `input` without the cache, `output`, `reasoning` (kept as reasoning),
 * `cache.read` and `cache.write`. The recorded `cost` is used when it is a positive number, as ccusage does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TokenUsage } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { opencodeEntry } from './catalog.js';
import { AgentRecords, costUsd, isoTime, obj, str, tokens, usageOrNull } from './kit.js';

/** The usage of one message's `tokens`. */
export function opencodeUsage(value: unknown): TokenUsage | null {
  const t = obj(value);
  if (!t) return null;
  const cache = obj(t.cache);
  return usageOrNull({
    input: tokens(t.input),
    output: tokens(t.output),
    cacheCreation: tokens(cache?.write),
    cacheCreation1h: 0,
    cacheRead: tokens(cache?.read),
    reasoning: tokens(t.reasoning),
  });
}

/** The text of a message's parts (`text` parts, in file order), or null. */
function partsText(storage: string, messageId: string): string | null {
  const folder = join(storage, 'part', messageId);
  let names: string[];
  try {
    names = readdirSync(folder)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    return null;
  }
  const texts: string[] = [];
  for (const name of names) {
    try {
      const part = obj(JSON.parse(readFileSync(join(folder, name), 'utf8')));
      const text = part?.type === 'text' && part.synthetic !== true ? str(part.text) : null;
      if (text) texts.push(text);
    } catch {
      // a part being written: the message file is rewritten after it, and read again then
    }
  }
  return texts.length > 0 ? texts.join('\n') : null;
}

export const opencode: AgentAdapter = {
  id: opencodeEntry.id,
  displayName: opencodeEntry.displayName,
  roots: opencodeEntry.roots,
  listFiles(root, folders) {
    // <root>/storage/message/<session>/<message>.json
    const messages = join(root, 'storage', 'message');
    return folders
      .files(messages, ['.json'])
      .filter((path) => dirname(dirname(path)) === messages)
      .sort();
  },
  readsWhole: () => true,
  openFile(file): TranscriptReader {
    const records = new AgentRecords('opencode');
    const storage = join(file.root, 'storage');
    return {
      get batch() {
        return records.batch;
      },
      readLine(text, _line, report) {
        const m = obj(JSON.parse(text));
        if (!m) {
          report.malformed('not a JSON object');
          return;
        }
        const role = m.role;
        if (role !== 'user' && role !== 'assistant') return;
        const time = obj(m.time);
        const timestamp = isoTime(time?.created);
        if (timestamp === null) {
          report.malformed('message without time.created');
          return;
        }
        const messageId = str(m.id) ?? basename(file.path, '.json');
        const nested = obj(m.model);
        const path = m.path;
        records.addTurn({
          sessionId: str(m.sessionID) ?? basename(dirname(file.path)),
          messageId,
          timestamp,
          role,
          content: partsText(storage, messageId),
          model: str(m.modelID) ?? str(nested?.modelID),
          cwd: str(obj(path)?.cwd) ?? str(path),
          usage: role === 'assistant' ? opencodeUsage(m.tokens) : null,
          costUsd: role === 'assistant' ? costUsd(m.cost) : null,
        });
      },
      takeBatch: () => records.takeBatch(),
      state: () => null,
    };
  },
};
