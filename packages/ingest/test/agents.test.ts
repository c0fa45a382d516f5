import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { AgentId } from '../src/agents/catalog.js';
import { type AgentRoots, importTranscripts } from '../src/import.js';
import { DEVICE, freshStore, OWN, TRANSCRIPTS, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

const SAMPLES = join(TRANSCRIPTS, 'jazzyalex-agent-sessions');
type Store = ReturnType<typeof freshStore>;

function run(db: Store, roots: AgentRoots) {
  return importTranscripts(db.sqlite, {
    roots,
    deviceId: DEVICE,
    now: () => new Date('2026-11-05T00:00:00Z'),
  });
}

function copy(from: string, to: string): string {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
  return to;
}

/** Moves a file's modification time forward, as an agent writing it again does. */
function touch(path: string, seconds: number): void {
  const at = new Date(Date.now() + seconds * 1000);
  utimesSync(path, at, at);
}

function turns(db: Store, source: AgentId) {
  return db.sqlite
    .prepare(
      `select s.native_id as session, s.cwd as sessionCwd, t.role, t.content, t.model, t.tool_calls as toolCalls,
              t.input_tokens as input, t.output_tokens as output, t.cache_read_tokens as cacheRead,
              t.cache_creation_tokens as cacheWrite, t.reasoning_tokens as reasoning, t.cost_usd as cost, t.version
         from turns t join sessions s on s.id = t.session_id
        where s.source = ? and t.deleted_at is null order by t.timestamp, t.id`,
    )
    .all(source) as {
    session: string;
    sessionCwd: string | null;
    role: string;
    content: string | null;
    model: string | null;
    toolCalls: string;
    input: number;
    output: number;
    cacheRead: number;
    cacheWrite: number;
    reasoning: number;
    cost: number | null;
    version: number;
  }[];
}

describe('Gemini CLI', () => {
  it('reads whole-session JSON again when it is rewritten, and resumes JSON-lines chats at their offset', () => {
    const tmp = join(tempDir(), 'tmp');
    const chats = join(tmp, 'hash', 'chats');
    const json = copy(join(OWN, 'agents', 'gemini-thoughts.json'), join(chats, 'session-thoughts.json'));
    const jsonl = copy(join(SAMPLES, 'gemini', 'jsonl_v040.jsonl'), join(chats, 'session-v040.jsonl'));
    writeFileSync(join(tmp, 'hash', '.project_root'), '/home/dev/site\n');
    // Not chats: Gemini CLI's prompt log and checkpoints sit beside them.
    writeFileSync(join(tmp, 'hash', 'logs.json'), '[{"sessionId":"x","type":"user","message":"hi"}]');
    const db = freshStore();

    const first = run(db, { gemini_cli: [tmp] });
    expect(first).toMatchObject({ filesFound: 2, filesRead: 2, filesFailed: [], malformedLines: 0 });
    let rows = turns(db, 'gemini_cli');
    expect(rows.map((r) => [r.session, r.role, r.model])).toEqual([
      ['gemini_stage0_jsonl', 'user', null],
      ['gemini_stage0_jsonl', 'assistant', 'gemini-3-flash-preview'],
      ['gemini_stage0_jsonl', 'assistant', 'gemini-3-flash-preview'],
      ['5b1c7e0a-2f4d-4c8e-9a6b-0d3e2f1a4b5c', 'user', null],
      ['5b1c7e0a-2f4d-4c8e-9a6b-0d3e2f1a4b5c', 'assistant', 'gemini-2.5-pro'],
      ['5b1c7e0a-2f4d-4c8e-9a6b-0d3e2f1a4b5c', 'assistant', 'gemini-2.5-pro'],
    ]);
    // The prompt's cached part is cache reads, thoughts are output (and reasoning).
    expect(rows[5]).toMatchObject({
      input: 14938 - 10187,
      output: 760 + 41,
      cacheRead: 10187,
      reasoning: 41,
    });
    expect(rows[4]).toMatchObject({
      input: 7228,
      output: 94 + 2659,
      reasoning: 2659,
      content: 'The lockfile is out of date.',
    });
    expect(rows[3]).toMatchObject({ content: 'Why does the build fail?', sessionCwd: '/home/dev/site' });
    expect(JSON.parse(rows[1]!.toolCalls)).toEqual([
      {
        id: 'run_shell_command_stage0',
        name: 'run_shell_command',
        input: { command: 'ls -F', description: 'List files in the current directory.' },
      },
    ]);

    // Nothing changed: nothing read.
    expect(run(db, { gemini_cli: [tmp] })).toMatchObject({ filesUnchanged: 2, filesRead: 0, turnsAdded: 0 });

    // Gemini CLI rewrites the session with one more message: the file is read whole again, one turn added.
    const session = JSON.parse(readFileSync(json, 'utf8'));
    session.messages.push({
      id: 'u-2',
      timestamp: '2026-11-03T10:02:00.000Z',
      type: 'user',
      content: 'Thanks.',
    });
    writeFileSync(json, JSON.stringify(session, null, 2));
    touch(json, 5);
    // A chat in lines grows: only the new line is read; a message written again under its id replaces its turn.
    appendFileSync(
      jsonl,
      `${JSON.stringify({ id: 'g-assistant-2', timestamp: '2026-04-29T21:39:45.996Z', type: 'gemini', content: 'Hello! I listed the files.', tokens: { input: 12069, output: 150, cached: 11502, thoughts: 0, tool: 0, total: 12219 }, model: 'gemini-3-flash-preview' })}\n`,
    );
    const third = run(db, { gemini_cli: [tmp] });
    expect(third).toMatchObject({ filesRead: 2, turnsAdded: 1, filesFailed: [] });
    expect(third.bytesRead).toBeLessThan(readFileSync(json).length + readFileSync(jsonl).length);
    rows = turns(db, 'gemini_cli');
    expect(rows).toHaveLength(7);
    expect(rows.find((r) => r.content === 'Hello! I listed the files.')).toMatchObject({
      output: 150,
      version: 2,
    });
  });
});

describe('Qwen Code', () => {
  it('reads chats under projects/<project>/chats, resumes them, and reports a bad line', () => {
    const root = join(tempDir(), 'qwen');
    const file = copy(
      join(OWN, 'agents', 'qwen-cached.jsonl'),
      join(root, 'projects', 'app', 'chats', 's.jsonl'),
    );
    // Not a chat: other files under the folder.
    writeFileSync(join(root, 'settings.jsonl'), '{"type":"assistant"}\n');
    const db = freshStore();
    expect(run(db, { qwen_code: [root] })).toMatchObject({ filesFound: 1, turnsAdded: 3, malformedLines: 0 });
    const rows = turns(db, 'qwen_code');
    expect(rows.map((r) => [r.role, r.input, r.output, r.cacheRead, r.reasoning])).toEqual([
      ['user', 0, 0, 0, 0],
      ['assistant', 16928 - 12000, 40, 12000, 21],
      ['assistant', 17210 - 16900, 55, 16900, 0],
    ]);
    expect(rows[0]).toMatchObject({
      content: 'Rename the helper and run the tests.',
      sessionCwd: '/home/dev/app',
    });
    // The thought is not the answer's text; the call is kept.
    expect(rows[1]!.content).toBeNull();
    expect(JSON.parse(rows[1]!.toolCalls)).toEqual([
      { id: 'call-1', name: 'run_shell_command', input: { command: 'npm test' } },
    ]);

    appendFileSync(file, '{"uuid":"broken"\n');
    appendFileSync(
      file,
      `${JSON.stringify({ uuid: 'a1f0c2d4-0001-4000-8000-000000000009', sessionId: 'a1f0c2d4-0000-4000-8000-00000000c0de', timestamp: '2026-11-02T09:01:00.000Z', type: 'user', cwd: '/home/dev/app', message: { role: 'user', parts: [{ text: 'Commit it.' }] } })}\n`,
    );
    touch(file, 5);
    const again = run(db, { qwen_code: [root] });
    expect(again).toMatchObject({ filesRead: 1, turnsAdded: 1, malformedLines: 1 });
    expect(again.malformed[0]).toMatchObject({ path: file, line: 4 });
    expect(turns(db, 'qwen_code')).toHaveLength(4);
  });
});

describe('GitHub Copilot CLI', () => {
  it('keeps the session id and folder of session.start when a log is resumed; usage comes from shutdown metrics', () => {
    const state = join(tempDir(), 'session-state');
    const file = copy(join(SAMPLES, 'copilot', 'schema_drift.jsonl'), join(state, 'drift', 'events.jsonl'));
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // First the log up to its shutdown event, then the rest as Copilot CLI appends it.
    const shutdown = lines.findIndex((l) => l.includes('"session.shutdown"'));
    writeFileSync(file, `${lines.slice(0, shutdown).join('\n')}\n`);
    const db = freshStore();
    run(db, { copilot_cli: [state] });
    const before = turns(db, 'copilot_cli');
    expect(before.every((r) => r.input + r.output === 0)).toBe(true);
    appendFileSync(file, `${lines.slice(shutdown).join('\n')}\n`);
    touch(file, 5);
    expect(run(db, { copilot_cli: [state] })).toMatchObject({ filesRead: 1, filesFailed: [] });
    const rows = turns(db, 'copilot_cli');
    expect(new Set(rows.map((r) => r.session))).toEqual(new Set([before[0]!.session]));
    expect(before[0]!.session).toBe('copilot_stage0_drift');
    const usage = rows.filter((r) => r.input + r.output + r.cacheRead > 0);
    expect(usage.map((r) => [r.model, r.input, r.output, r.cacheRead, r.cacheWrite])).toEqual([
      ['gpt-4.1', 1000 - 800, 50, 800, 0],
    ]);
  });
});

describe('OpenCode', () => {
  it("reads each message file with its parts' text, and again when OpenCode rewrites it", () => {
    const data = join(tempDir(), 'opencode');
    copy(join(SAMPLES, 'opencode', 'storage_v2'), join(data, 'storage'));
    const db = freshStore();
    expect(run(db, { opencode: [data] })).toMatchObject({ filesFound: 6, filesRead: 6, filesFailed: [] });
    const rows = turns(db, 'opencode');
    expect(rows.filter((r) => r.session === 's_stage0_large').map((r) => r.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(rows.find((r) => r.input > 0)).toMatchObject({
      session: 's_stage0_large',
      model: 'gpt-4o-mini',
      input: 120,
      output: 16,
      sessionCwd: '/tmp/large',
    });
    expect(
      rows.filter((r) => r.session === 's_stage0_large' && r.role === 'user').map((r) => r.content),
    ).toEqual(['Step 1', 'Step 2']);

    // The small session's answer completes: OpenCode rewrites its file with tokens and cost.
    const file = join(data, 'storage', 'message', 's_stage0_small', 'msg_0002.json');
    const message = JSON.parse(readFileSync(file, 'utf8'));
    message.tokens = { input: 40, output: 9, reasoning: 3, cache: { read: 500, write: 20 } };
    message.cost = 0.0021;
    message.modelID = 'gpt-4o-mini';
    writeFileSync(file, JSON.stringify(message));
    touch(file, 5);
    expect(run(db, { opencode: [data] })).toMatchObject({ filesRead: 1, turnsAdded: 0, turnsUpdated: 1 });
    expect(
      turns(db, 'opencode').find((r) => r.session === 's_stage0_small' && r.role === 'assistant'),
    ).toMatchObject({
      input: 40,
      output: 9,
      reasoning: 3,
      cacheRead: 500,
      cacheWrite: 20,
      cost: 0.0021,
    });
  });
});

describe('OpenCode, opencode.db', () => {
  const OPENCODE_DB = join(TRANSCRIPTS, 'git-ai-project-git-ai', 'opencode-sqlite', 'opencode.db');
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  it("reads the database read-only, each message with its parts' text, and again after OpenCode writes to it", () => {
    const data = join(tempDir(), 'opencode');
    const file = copy(OPENCODE_DB, join(data, 'opencode.db'));
    const before = sha256(file);
    const db = freshStore();
    expect(run(db, { opencode: [data] })).toMatchObject({
      filesFound: 1,
      filesRead: 1,
      filesFailed: [],
      turnsAdded: 2,
      sessionsAdded: 1,
    });
    expect(
      turns(db, 'opencode').map((r) => [
        r.session,
        r.role,
        r.content,
        r.model,
        r.input,
        r.output,
        r.sessionCwd,
      ]),
    ).toEqual([
      [
        'test-session-123',
        'user',
        'Please update index.ts using sqlite transcript data',
        'gpt-5',
        0,
        0,
        '/Users/test/project',
      ],
      // The tool part is not text; the two text parts, in order.
      [
        'test-session-123',
        'assistant',
        'I will make the edit from sqlite.\nDone from sqlite source.',
        'gpt-5',
        10,
        20,
        '/Users/test/project',
      ],
    ]);
    // Read-only: the file is unchanged and nothing was created beside it.
    expect(sha256(file)).toBe(before);
    expect(readdirSync(data)).toEqual(['opencode.db']);
    expect(run(db, { opencode: [data] })).toMatchObject({ filesRead: 0, filesUnchanged: 1 });

    // OpenCode writes through its write-ahead log: the database file itself does not change.
    const Sqlite = db.sqlite.constructor as new (path: string) => typeof db.sqlite;
    const agent = new Sqlite(file);
    try {
      agent.pragma('journal_mode = wal');
      agent.pragma('wal_autocheckpoint = 0');
      expect(run(db, { opencode: [data] })).toMatchObject({ filesRead: 1, turnsAdded: 0, filesFailed: [] });
      const stamp = statSync(file);
      agent
        .prepare(
          'insert into message (id, session_id, time_created, time_updated, data) values (?, ?, ?, ?, ?)',
        )
        .run(
          'msg-user-sql-002',
          'test-session-123',
          1706459840000,
          1706459840000,
          JSON.stringify({ role: 'user', time: { created: 1706459840000 } }),
        );
      agent
        .prepare(
          'insert into part (id, message_id, session_id, time_created, time_updated, data) values (?, ?, ?, ?, ?, ?)',
        )
        .run(
          'prt-sql-005',
          'msg-user-sql-002',
          'test-session-123',
          1706459840001,
          1706459840001,
          JSON.stringify({ type: 'text', text: 'And the tests' }),
        );
      expect(statSync(file).size).toBe(stamp.size);
      expect(statSync(file).mtimeMs).toBe(stamp.mtimeMs);
      expect(run(db, { opencode: [data] })).toMatchObject({ filesRead: 1, turnsAdded: 1, filesFailed: [] });
      expect(turns(db, 'opencode').at(-1)).toMatchObject({ role: 'user', content: 'And the tests' });
    } finally {
      agent.close();
    }
  });

  it('a file named like a database that is not one fails alone, with a line that says why', () => {
    const data = join(tempDir(), 'opencode');
    copy(OPENCODE_DB, join(data, 'opencode.db'));
    writeFileSync(join(data, 'opencode-beta.db'), 'not a database');
    const db = freshStore();
    const result = run(db, { opencode: [data] });
    expect(result).toMatchObject({ filesFound: 2, filesRead: 1, turnsAdded: 2 });
    expect(result.filesFailed).toEqual([
      {
        path: join(data, 'opencode-beta.db'),
        error: "could not read the agent's database: it is not a SQLite database or is damaged",
      },
    ]);
  });

  it('a message in both the database and a message file (OpenCode moving to the database) counts once', () => {
    const data = join(tempDir(), 'opencode');
    copy(OPENCODE_DB, join(data, 'opencode.db'));
    // The same message as an earlier release kept it in storage/, left behind by the move.
    const earlier = join(data, 'storage', 'message', 'test-session-123', 'msg-assistant-sql-001.json');
    mkdirSync(dirname(earlier), { recursive: true });
    writeFileSync(
      earlier,
      JSON.stringify({
        id: 'msg-assistant-sql-001',
        sessionID: 'test-session-123',
        role: 'assistant',
        time: { created: 1706459831000, completed: 1706459835000 },
        modelID: 'gpt-5',
        providerID: 'openai',
        path: { cwd: '/Users/test/project', root: '/Users/test/project' },
        cost: 0,
        tokens: { input: 10, output: 20, reasoning: 0, cache: { read: 0, write: 0 } },
      }),
    );
    const db = freshStore();
    expect(run(db, { opencode: [data] })).toMatchObject({ filesFound: 2, filesRead: 2, filesFailed: [] });
    expect(turns(db, 'opencode').map((r) => [r.role, r.input, r.output, r.content])).toEqual([
      ['user', 0, 0, 'Please update index.ts using sqlite transcript data'],
      ['assistant', 10, 20, 'I will make the edit from sqlite.\nDone from sqlite source.'],
    ]);
  });
});

describe('Amp', () => {
  const THREADS = join(TRANSCRIPTS, 'ccusage-fixtures', 'amp');

  it('reads each thread under threads/, usage from the ledger when there is one, and a rewritten thread again', () => {
    const data = tempDir();
    const messages = copy(
      join(THREADS, 'reads_usage_from_messages_when_ledger_is_missing.json'),
      join(data, 'threads', 'T-thread-a.json'),
    );
    copy(
      join(THREADS, 'ledger_events_take_precedence_over_messages_usage.json'),
      join(data, 'threads', 'thread-a.json'),
    );
    // Not threads: Amp's other files beside them.
    writeFileSync(join(data, 'history.jsonl'), '{"text":"hi"}\n');
    mkdirSync(join(data, 'threads', 'drafts'));
    writeFileSync(join(data, 'threads', 'drafts', 'x.json'), '{"id":"T-draft","messages":[]}');
    const db = freshStore();

    expect(run(db, { amp: [data] })).toMatchObject({ filesFound: 2, filesRead: 2, filesFailed: [] });
    const rows = (session: string) =>
      turns(db, 'amp')
        .filter((r) => r.session === session)
        .map((r) => [r.role, r.content, r.model, r.input, r.output, r.cacheWrite, r.cacheRead]);
    // The ledger is the usage: its event (no `toMessageId`) is a turn of its own; the message's usage is not counted.
    expect(rows('thread-a')).toEqual([
      ['assistant', null, 'gpt-5', 1, 2, 0, 0],
      ['assistant', null, 'claude-haiku-4-5-20251001', 0, 0, 0, 0],
    ]);
    // A message without a time takes the first one recorded.
    expect(rows('T-thread-a')).toEqual([
      ['user', 'hi', null, 0, 0, 0, 0],
      ['assistant', null, 'claude-haiku-4-5-20251001', 10, 178, 986, 11372],
      ['assistant', null, 'claude-haiku-4-5-20251001', 5, 42, 0, 12000],
    ]);

    // Amp rewrites the thread whole as it grows: read again, nothing counted twice.
    const thread = JSON.parse(readFileSync(messages, 'utf8'));
    thread.messages.push(
      {
        role: 'user',
        messageId: 3,
        content: [{ type: 'text', text: 'and now?' }],
        meta: { sentAt: 1768823000000 },
      },
      {
        role: 'assistant',
        messageId: 4,
        content: [
          { type: 'text', text: 'Listing.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { cmd: 'ls' } },
        ],
        usage: {
          model: 'claude-haiku-4-5-20251001',
          inputTokens: 7,
          outputTokens: 9,
          timestamp: '2026-01-19T11:44:00.000Z',
        },
      },
    );
    writeFileSync(messages, JSON.stringify(thread));
    touch(messages, 60);
    expect(run(db, { amp: [data] })).toMatchObject({ filesRead: 1, filesUnchanged: 1, filesFailed: [] });
    const after = turns(db, 'amp').filter((r) => r.session === 'T-thread-a');
    expect(after.map((r) => [r.role, r.content, r.input, r.output])).toEqual([
      ['user', 'hi', 0, 0],
      ['assistant', null, 10, 178],
      ['assistant', null, 5, 42],
      ['user', 'and now?', 0, 0],
      ['assistant', 'Listing.', 7, 9],
    ]);
    expect(JSON.parse(after[4]!.toolCalls)).toEqual([{ id: 'toolu_1', name: 'Bash', input: { cmd: 'ls' } }]);
  });
});

describe('Antigravity CLI', () => {
  it('reads each conversation transcript under brain/, user requests and planner responses, and resumes it', () => {
    const root = tempDir();
    const transcript = (id: string) =>
      join(root, 'brain', id, '.system_generated', 'logs', 'transcript.jsonl');
    const small = copy(join(SAMPLES, 'antigravity', 'cli_small.jsonl'), transcript('conv-small'));
    copy(join(SAMPLES, 'antigravity', 'cli_schema_drift.jsonl'), transcript('conv-drift'));
    // Not transcripts: the conversation's artifacts, and the CLI's conversation store.
    writeFileSync(join(root, 'brain', 'conv-small', 'task.md'), '# Task\n');
    mkdirSync(join(root, 'conversations'));
    writeFileSync(join(root, 'conversations', 'conv-small.db'), '');
    const db = freshStore();

    expect(run(db, { antigravity_cli: [root] })).toMatchObject({
      filesFound: 2,
      filesRead: 2,
      filesFailed: [],
      malformedLines: 0,
    });
    const rows = (session: string) =>
      turns(db, 'antigravity_cli')
        .filter((r) => r.session === session)
        .map((r) => [
          r.role,
          r.content,
          r.model,
          ((JSON.parse(r.toolCalls) ?? []) as { name: string }[]).map((c) => c.name),
        ]);
    // Independently, from the file: one turn per user input and planner response.
    const steps = readFileSync(small, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l).type);
    const small0 = rows('conv-small');
    expect(small0).toHaveLength(steps.filter((t) => t === 'USER_INPUT' || t === 'PLANNER_RESPONSE').length);
    expect(small0.slice(0, 4)).toEqual([
      ['user', 'List the files.', null, []],
      ['assistant', null, 'Gemini 3.5 Flash (Medium)', ['list_dir']],
      ['assistant', 'The directory contains a.txt and b.txt.', 'Gemini 3.5 Flash (Medium)', []],
      ['assistant', null, 'Gemini 3.5 Flash (Medium)', ['write_file']],
    ]);
    expect(rows('conv-drift')).toEqual([
      ['user', 'Go', null, []],
      ['assistant', null, null, []],
    ]);
    // No token counts in these transcripts.
    expect(turns(db, 'antigravity_cli').every((r) => r.input + r.output + r.cacheRead === 0)).toBe(true);

    // The CLI appends steps: the next import reads the new ones only.
    appendFileSync(
      small,
      `${JSON.stringify({ step_index: 12, source: 'MODEL', type: 'PLANNER_RESPONSE', status: 'DONE', created_at: '2026-06-26T21:17:00Z', content: 'Done.' })}\n`,
    );
    touch(small, 60);
    expect(run(db, { antigravity_cli: [root] })).toMatchObject({
      filesRead: 1,
      filesUnchanged: 1,
      filesFailed: [],
    });
    const after = rows('conv-small');
    expect(after).toHaveLength(small0.length + 1);
    expect(after.at(-1)).toEqual(['assistant', 'Done.', 'Gemini 3.5 Flash (Medium)', []]);
  });
});

describe('Droid', () => {
  it('reads session files under sessions/ with their cwd, text and tool calls, the model from the settings beside them', () => {
    const sessions = join(tempDir(), 'sessions');
    const at = (name: string) => join(sessions, '-tmp-project', `${name}.jsonl`);
    const small = copy(join(SAMPLES, 'droid', 'session_store_small.jsonl'), at('droid_s1'));
    copy(join(SAMPLES, 'droid', 'session_store_schema_drift.jsonl'), at('droid_drift'));
    copy(join(SAMPLES, 'droid', 'session_store_large.jsonl'), join(sessions, 'droid_large.jsonl'));
    writeFileSync(at('droid_s1').replace('.jsonl', '.settings.json'), '{"model":"claude-sonnet-4-5"}');
    const db = freshStore();

    expect(run(db, { droid: [sessions] })).toMatchObject({
      filesFound: 3,
      filesRead: 3,
      filesFailed: [],
      malformedLines: 0,
    });
    const rows = (session: string) =>
      turns(db, 'droid')
        .filter((r) => r.session === session)
        .map((r) => [
          r.role,
          r.content,
          r.model,
          r.sessionCwd,
          ((JSON.parse(r.toolCalls) ?? []) as { name: string }[]).map((c) => c.name),
        ]);
    // The tool's answer (a user message of tool results only) is not a turn.
    expect(rows('droid_s1')).toEqual([
      ['user', 'Run a command', null, '/tmp', []],
      ['assistant', null, 'claude-sonnet-4-5', '/tmp', ['Execute']],
    ]);
    expect(rows('droid_drift')).toEqual([
      ['user', '<system-reminder>\nBe concise.\n</system-reminder>\n\nDo the thing', null, '/tmp', []],
      ['assistant', 'Ok', null, '/tmp', []],
    ]);
    // Independently, from the file: every message with text or a tool call.
    const expected = readFileSync(join(SAMPLES, 'droid', 'session_store_large.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l))
      .filter(
        (r) =>
          r.type === 'message' && r.message.content.some((b: { type: string }) => b.type !== 'tool_result'),
      );
    expect(rows('droid_large')).toHaveLength(expected.length);
    expect(turns(db, 'droid').every((r) => r.input + r.output === 0)).toBe(true);

    // Droid appends messages: the next import reads the new ones only.
    appendFileSync(
      small,
      `${JSON.stringify({ type: 'message', id: 'm4', timestamp: '2025-12-26T23:50:03.000Z', message: { role: 'assistant', content: [{ type: 'text', text: 'The path does not exist.' }] } })}\n`,
    );
    touch(small, 60);
    expect(run(db, { droid: [sessions] })).toMatchObject({
      filesRead: 1,
      filesUnchanged: 2,
      filesFailed: [],
    });
    expect(rows('droid_s1').at(-1)).toEqual([
      'assistant',
      'The path does not exist.',
      'claude-sonnet-4-5',
      '/tmp',
      [],
    ]);
  });
});
