/**
 * OpenCode keeps its sessions in one of two ways, both under its data folder (`~/.local/share/opencode`):
 * - `opencode.db` (and channel databases `opencode-<channel>.db`), SQLite, in current releases: tables `message`
 *   (`id`, `session_id`, the message as JSON in `data`) and `part` (`message_id`, the part as JSON in `data`);
 * - `storage/`, in earlier ones: one JSON file per message, `message/<session id>/<message id>.json`, rewritten
 *   whole as the message completes, its text in `part/<message id>/<part id>.json`.
 * A message is the same in both (role, times, `modelID`/`providerID` or a nested `model`, `tokens`, `cost` in USD,
 * `path.cwd`); a message found in both places (a move to the database leaves `storage/` behind) is one turn, as
 * in ccusage. The databases are read after the files, so their text, with every part, is what the turn keeps.
 *
 * Tokens as OpenCode records them: `input` without the cache, `output`, `reasoning` (kept as reasoning),
 * `cache.read` and `cache.write`. The recorded `cost` is used when it is a positive number, as ccusage does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AgentDatabase, type TokenUsage } from '@agentlogs/local-store';
import type { AgentAdapter, TranscriptFile, TranscriptReader } from './agent.js';
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

/** The text of one part (`text` parts the agent did not add itself), or null. */
function partText(value: unknown): string | null {
  const part = obj(value);
  return part?.type === 'text' && part.synthetic !== true ? str(part.text) : null;
}

/** The text of a message's part files (`text` parts, in file order), or null. */
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
      const text = partText(JSON.parse(readFileSync(join(folder, name), 'utf8')));
      if (text) texts.push(text);
    } catch {
      // a part being written: the message file is rewritten after it, and read again then
    }
  }
  return texts.length > 0 ? texts.join('\n') : null;
}

/** `opencode.db`, or a channel's `opencode-<channel>.db`. */
const DATABASE_NAME = /^opencode(-[A-Za-z0-9_-]+)?\.db$/;

/** The databases in OpenCode's data folder, `opencode.db` first. */
function databases(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => DATABASE_NAME.test(n));
  } catch {
    return [];
  }
  return names
    .sort((a, b) => (a === 'opencode.db' ? -1 : b === 'opencode.db' ? 1 : a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(root, n));
}

/**
 * What the reader gets of one database message: the message as OpenCode wrote it, its ids from their columns
 * and its parts' text (the `part` rows of the message, merged in by message id).
 */
interface DatabaseMessage {
  id: string;
  sessionId: string;
  message: string;
  text: string | null;
}

/** The messages of an OpenCode database, each with the text of its parts. */
function* databaseMessages(file: TranscriptFile): Generator<string> {
  const db = AgentDatabase.open(file.path);
  try {
    const parts = db.columns('part');
    // Both sorted by message id: the parts are merged in without holding them (the table may hold every
    // file the agent read).
    const partRows =
      parts.has('message_id') && parts.has('data')
        ? db.rows<{ message_id: string; data: string }>(
            `select message_id, data from part order by message_id, ${parts.has('id') ? 'id' : 'rowid'}`,
          )
        : null;
    let part = partRows?.next();
    for (const row of db.rows<{ id: unknown; session_id: unknown; data: unknown }>(
      'select id, session_id, data from message order by id',
    )) {
      if (typeof row.id !== 'string' || typeof row.session_id !== 'string' || typeof row.data !== 'string')
        continue;
      const texts: string[] = [];
      while (part && !part.done && part.value.message_id <= row.id) {
        if (part.value.message_id === row.id) {
          try {
            const text = partText(JSON.parse(part.value.data));
            if (text) texts.push(text);
          } catch {
            // a part that is not JSON: the message keeps its other parts
          }
        }
        part = partRows!.next();
      }
      const document: DatabaseMessage = {
        id: row.id,
        sessionId: row.session_id,
        message: row.data,
        text: texts.length > 0 ? texts.join('\n') : null,
      };
      yield JSON.stringify(document);
    }
  } finally {
    db.close();
  }
}

export const opencode: AgentAdapter = {
  id: opencodeEntry.id,
  displayName: opencodeEntry.displayName,
  roots: opencodeEntry.roots,
  listFiles(root, folders) {
    // <root>/storage/message/<session>/<message>.json, then the databases (read last: their copy wins).
    const messages = join(root, 'storage', 'message');
    const files = folders
      .files(messages, ['.json'])
      .filter((path) => dirname(dirname(path)) === messages)
      .sort();
    return [...files, ...databases(root)];
  },
  readsWhole: () => true,
  isDatabase: (path) => DATABASE_NAME.test(basename(path)),
  readDatabase: (file) => databaseMessages(file),
  openFile(file): TranscriptReader {
    const records = new AgentRecords('opencode');
    const storage = join(file.root, 'storage');
    const database = DATABASE_NAME.test(basename(file.path));
    return {
      get batch() {
        return records.batch;
      },
      readLine(text, _line, report) {
        let m: Record<string, unknown> | null;
        let ids: { messageId: string | null; sessionId: string | null; text: () => string | null };
        if (database) {
          const row = JSON.parse(text) as DatabaseMessage;
          m = obj(JSON.parse(row.message));
          ids = { messageId: row.id, sessionId: row.sessionId, text: () => row.text };
        } else {
          m = obj(JSON.parse(text));
          const messageId = str(m?.id) ?? basename(file.path, '.json');
          ids = {
            messageId,
            sessionId: str(m?.sessionID) ?? basename(dirname(file.path)),
            text: () => partsText(storage, messageId),
          };
        }
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
        const nested = obj(m.model);
        const path = m.path;
        records.addTurn({
          sessionId: ids.sessionId ?? basename(dirname(file.path)),
          messageId: ids.messageId ?? basename(file.path, '.json'),
          timestamp,
          role,
          content: ids.text(),
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
