import { appendFileSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readClaudeLine } from '../src/claude.js';
import { CodexAssembler } from '../src/codex.js';
import { importTranscripts } from '../src/import.js';
import { MAX_LINE_BYTES, readLinesFrom, type TooLongLine } from '../src/lines.js';
import { computeStats } from '../src/stats.js';
import { wellFormedLine } from '../src/text.js';
import { DEVICE, freshStore, tempDir } from './helpers.js';

// Files of 50 to 200 MB on a shared machine's disk.
vi.setConfig({ testTimeout: 120_000 });

const MiB = 1024 * 1024;
const SESSION = '7d2f4c1a-5b3e-4f6a-9c8d-1e2f3a4b5c6d';

function claudeUser(uuid: string, content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'user',
    sessionId: SESSION,
    uuid,
    timestamp: '2026-11-02T10:00:00.000Z',
    cwd: '/work/demo',
    message: { role: 'user', content },
    ...extra,
  });
}

function claudeAssistant(
  id: string,
  usage: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    type: 'assistant',
    sessionId: SESSION,
    uuid: `uuid-${id}`,
    requestId: `req_${id}`,
    timestamp: '2026-11-02T10:00:01.000Z',
    cwd: '/work/demo',
    message: {
      id: `msg_${id}`,
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: `answer ${id}` }],
      usage,
    },
    ...extra,
  });
}

const USAGE = {
  input_tokens: 10,
  output_tokens: 20,
  cache_read_input_tokens: 30,
  cache_creation_input_tokens: 40,
};

/** Writes `prefix`, then `size` bytes of `x` (in 1 MiB writes), then `suffix`. */
function writeLongLine(path: string, prefix: string, size: number, suffix: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prefix);
    const block = Buffer.alloc(MiB, 'x');
    for (let left = size; left > 0; left -= MiB) writeSync(fd, block, 0, Math.min(MiB, left));
    writeSync(fd, suffix);
  } finally {
    closeSync(fd);
  }
}

function claudeTree(lines: string[]): { root: string; file: string } {
  const root = join(tempDir(), 'projects');
  mkdirSync(join(root, 'demo'), { recursive: true });
  const file = join(root, 'demo', `${SESSION}.jsonl`);
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return { root, file };
}

function importInto(db: ReturnType<typeof freshStore>, claudeRoots: string[], codexRoots: string[] = []) {
  return importTranscripts(db.sqlite, {
    roots: { claude_code: claudeRoots, codex: codexRoots },
    deviceId: DEVICE,
    now: () => new Date('2026-11-03T00:00:00Z'),
  });
}

/** A second run over the same files reads and writes nothing. */
function expectNoOpReimport(
  db: ReturnType<typeof freshStore>,
  claudeRoots: string[],
  codexRoots: string[] = [],
) {
  const before = db.sqlite.prepare('select id, version, content, tool_calls from turns order by id').all();
  const again = importInto(db, claudeRoots, codexRoots);
  expect(again).toMatchObject({ filesRead: 0, filesFailed: [], turnsAdded: 0, turnsUpdated: 0 });
  expect(db.sqlite.prepare('select id, version, content, tool_calls from turns order by id').all()).toEqual(
    before,
  );
}

describe('line assembly', () => {
  it('a 50 MB line is joined once: the bytes copied equal its length, not its length times its chunks', () => {
    const path = join(tempDir(), 'long.jsonl');
    const size = 50 * 1000 * 1000;
    writeLongLine(path, '{"text":"', size, '"}\n{"next":true}\n');
    const lengths: number[] = [];
    const started = performance.now();
    const read = readLinesFrom(path, 0, 0, ({ text }) => lengths.push(text.length));
    const ms = performance.now() - started;
    expect(lengths).toEqual([size + 11, 13]);
    // Re-copying the unfinished line on every 1 MiB read copied about 50 × 25 MB = 1.25 GB here.
    expect(read.bytesCopied).toBe(size + 11);
    expect(read.maxLineBytesHeld).toBeLessThanOrEqual(size + 11);
    expect(read.offset).toBe(statSync(path).size);
    console.log(`50 MB line: read in ${ms.toFixed(0)} ms`);
  });

  it('a 200 MB line is skipped as it is read: never more than the cap held, reported with its size, the next line read', () => {
    const path = join(tempDir(), 'huge.jsonl');
    const size = 200 * 1000 * 1000;
    writeLongLine(path, '{"first":1}\n{"text":"', size, '"}\r\n{"next":true}\n');
    const seen: string[] = [];
    const tooLong: TooLongLine[] = [];
    const started = performance.now();
    const read = readLinesFrom(
      path,
      0,
      0,
      ({ text, line }) => seen.push(`${line}:${text}`),
      () => false,
      { onTooLong: (l) => tooLong.push(l) },
    );
    const ms = performance.now() - started;
    expect(seen).toEqual(['1:{"first":1}', '3:{"next":true}']);
    expect(tooLong).toEqual([{ line: 2, bytes: size + 12, end: 12 + size + 13 }]);
    expect(read.bytesCopied).toBe(0);
    expect(read.maxLineBytesHeld).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(read.offset).toBe(statSync(path).size);
    console.log(`200 MB line: skipped in ${ms.toFixed(0)} ms`);
  });

  it('with a small cap: lines within one chunk and across chunks are capped alike; CRLF and the resume offset hold', () => {
    const path = join(tempDir(), 'cap.jsonl');
    writeFileSync(path, `short\r\n${'y'.repeat(100)}\n${'z'.repeat(64)}\r\nlast`);
    const seen: string[] = [];
    const tooLong: TooLongLine[] = [];
    const read = readLinesFrom(
      path,
      0,
      0,
      ({ text, line, end }) => seen.push(`${line}:${text.length}:${end}`),
      (tail) => tail === 'last',
      { maxLineBytes: 65, onTooLong: (l) => tooLong.push(l) },
    );
    expect(seen).toEqual(['1:5:7', '3:64:174', '4:4:178']);
    expect(tooLong).toEqual([{ line: 2, bytes: 100, end: 108 }]);
    expect(read).toMatchObject({ offset: 178, line: 4 });
  });

  it('the chunk buffer kept between reads never changes a line: one across chunks, the next file, a read inside a visit', () => {
    const dir = tempDir();
    const lines = (prefix: string, n: number, size: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}:${String.fromCharCode(97 + (i % 26)).repeat(size)}`);
    // Lines of 300,000 bytes: the fourth crosses the first 1 MiB chunk, whose tail stays held while the next is read.
    const a = lines('a', 8, 300_000);
    const b = lines('b', 5, 70_000);
    const c = lines('c', 3, 10);
    writeFileSync(join(dir, 'a.jsonl'), `${a.join('\n')}\n`);
    writeFileSync(join(dir, 'b.jsonl'), `${b.join('\n')}\n`);
    writeFileSync(join(dir, 'c.jsonl'), `${c.join('\n')}\n`);
    const read = (name: string, onLine?: (line: number) => void) => {
      const seen: string[] = [];
      readLinesFrom(join(dir, name), 0, 0, ({ text, line }) => {
        seen.push(text);
        onLine?.(line);
      });
      return seen;
    };
    expect(read('a.jsonl')).toEqual(a);
    expect(read('b.jsonl')).toEqual(b);
    // A visit that reads another file while its own read holds the kept buffer.
    const inner: string[][] = [];
    expect(read('a.jsonl', (line) => line === 4 && inner.push(read('c.jsonl')))).toEqual(a);
    expect(inner).toEqual([c]);
    expect(read('b.jsonl')).toEqual(b);
  });
});

describe('import of bad input', () => {
  it('a line above the 64 MiB cap is reported with its size; the next line is imported; re-import is a no-op', () => {
    const { root, file } = claudeTree([]);
    const size = MAX_LINE_BYTES + 1;
    const opening = '{"type":"user","message":{"role":"user","content":"';
    writeLongLine(
      file,
      `${claudeUser('u-1', 'before')}\n${opening}`,
      size,
      `"}}\n${claudeUser('u-2', 'after')}\n`,
    );
    const lineBytes = opening.length + size + 3;
    const db = freshStore();
    const result = importInto(db, [root]);
    expect(result.filesFailed).toEqual([]);
    expect(result.malformed).toEqual([
      { path: file, line: 2, reason: `line of ${lineBytes} bytes is above the 64 MiB line limit` },
    ]);
    expect(db.sqlite.prepare('select content from turns order by content').pluck().all()).toEqual([
      'after',
      'before',
    ]);
    const cursor = db.sqlite.prepare('select byte_offset, line_count from import_files').get();
    expect(cursor).toEqual({ byte_offset: statSync(file).size, line_count: 3 });
    expectNoOpReimport(db, [root]);
    // Growing the file resumes after the long line, not inside it.
    appendFileSync(file, `${claudeUser('u-3', 'later')}\n`);
    const grown = importInto(db, [root]);
    expect(grown).toMatchObject({ filesRead: 1, filesReread: 0, turnsAdded: 1, malformedLines: 0 });
  });

  it('a line nested 5,000 levels deep never fails its file: in a tool input it is refused, elsewhere stored', () => {
    const deepArray = '['.repeat(5_000) + ']'.repeat(5_000);
    const toolLine = JSON.stringify({
      type: 'assistant',
      sessionId: SESSION,
      uuid: 'u-deep-tool',
      requestId: 'req_deep',
      timestamp: '2026-11-02T10:00:02.000Z',
      message: {
        id: 'msg_deep',
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_deep', name: 'Bash', input: { command: 'DEEP' } }],
        usage: USAGE,
      },
    }).replace('"DEEP"', deepArray);
    const storedLine = claudeUser('u-deep-extra', 'kept').replace('"kept"', '"kept","extra":' + deepArray);
    const { root, file } = claudeTree([
      claudeUser('u-1', 'before'),
      toolLine,
      storedLine,
      claudeUser('u-2', 'after'),
    ]);
    const codexRoot = join(tempDir(), 'sessions');
    mkdirSync(codexRoot);
    writeFileSync(
      join(codexRoot, 'rollout.jsonl'),
      `${JSON.stringify({ timestamp: '2026-11-02T10:00:00Z', type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }], extra: 'DEEP' } }).replace('"DEEP"', deepArray)}\n`,
    );
    const db = freshStore();
    const result = importInto(db, [root], [codexRoot]);
    expect(result.filesFailed).toEqual([]);
    expect(result.malformed).toEqual([
      { path: file, line: 2, reason: 'tool input nested deeper than 512 levels' },
    ]);
    expect(db.sqlite.prepare('select content from turns order by content').pluck().all()).toEqual([
      'after',
      'before',
      'hi',
      'kept',
    ]);
    expectNoOpReimport(db, [root], [codexRoot]);
  });

  it('NUL and lone surrogates are stored as U+FFFD in every text; pairs and an escaped backslash stay', () => {
    const line = claudeAssistant(
      'nul',
      USAGE,
      // JSON.stringify writes NUL and lone surrogates as \u0000, \ud800 and \udc00 escapes, as a transcript would.
      { cwd: '/work/de\u0000mo\udc00', agentId: 'a\ud800' },
    )
      .replace('"answer nul"', '"a\\u0000b\\ud800c \\ud83d\\ude00 \\\\u0000"')
      .replace('"claude-sonnet-4-5-20250929"', '"model\\udfff"')
      .replace(
        '[{"type":"text"',
        '[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"echo \\u0000","k\\u0000":"\\ud800"}},{"type":"text"',
      );
    const { root } = claudeTree([line]);
    const codexRoot = join(tempDir(), 'sessions');
    mkdirSync(codexRoot);
    writeFileSync(
      join(codexRoot, 'rollout.jsonl'),
      [
        { type: 'session_meta', payload: { id: 'rollout\u0000id', cwd: '/work/co\ud800dex' } },
        { type: 'turn_context', payload: { model: 'gpt-5\udc00' } },
        {
          type: 'response_item',
          payload: {
            type: 'message',
            role: 'user',
            content: [{ type: 'input_text', text: 'x\u0000y\ud800' }],
          },
        },
      ]
        .map((o) => `${JSON.stringify({ timestamp: '2026-11-02T10:00:00Z', ...o })}\n`)
        .join(''),
    );
    const db = freshStore();
    const result = importInto(db, [root], [codexRoot]);
    expect(result).toMatchObject({ filesFailed: [], malformedLines: 0, turnsAdded: 2 });
    const turns = db.sqlite
      .prepare('select content, tool_calls, model, cwd, agent_id from turns order by content')
      .all();
    expect(turns).toEqual([
      {
        content: 'a\uFFFDb\uFFFDc \u{1F600} \\u0000',
        tool_calls: JSON.stringify([
          { id: 'toolu_1', name: 'Bash', input: { command: 'echo \uFFFD', 'k\uFFFD': '\uFFFD' } },
        ]),
        model: 'model\uFFFD',
        cwd: '/work/de\uFFFDmo\uFFFD',
        agent_id: 'a\uFFFD',
      },
      {
        content: 'x\uFFFDy\uFFFD',
        tool_calls: null,
        model: 'gpt-5\uFFFD',
        cwd: '/work/co\uFFFDdex',
        agent_id: null,
      },
    ]);
    // As stored bytes: one EF BF BD per replaced character, no 00 and no encoded surrogate (ED A0..BF xx).
    const stored = db.sqlite
      .prepare(
        `select hex(content) || hex(ifnull(tool_calls, '')) || hex(model) || hex(cwd) from turns
         union all select hex(native_id) || hex(ifnull(cwd, '')) from sessions
         union all select hex(path) || hex(name) from projects`,
      )
      .pluck()
      .all() as string[];
    for (const hex of stored) {
      expect(hex.match(/^(?:..)*?(00|ED[AB].)/)).toBeNull();
    }
    expect(db.sqlite.prepare('select native_id from sessions order by native_id').pluck().all()).toEqual([
      SESSION,
      'rollout\uFFFDid',
    ]);
    expectNoOpReimport(db, [root], [codexRoot]);
  });

  it('wellFormedLine leaves a line without such escapes as it is', () => {
    const line = claudeUser('u-1', 'plain \u001b[0m text 日本 😀');
    expect(wellFormedLine(line)).toBe(line);
  });
});

describe('token counts and costs', () => {
  const bad: [string, string, string][] = [
    ['output_tokens', '1e308', 'usage.output_tokens is above 1e+9 tokens (1e+308)'],
    ['output_tokens', '1e400', 'usage.output_tokens is not a finite number'],
    ['input_tokens', String(2 ** 53 + 1), 'usage.input_tokens is above 1e+9 tokens (9007199254740992)'],
    ['input_tokens', '1000000001', 'usage.input_tokens is above 1e+9 tokens (1000000001)'],
    ['cache_read_input_tokens', '-5', 'usage.cache_read_input_tokens is negative'],
    ['cache_creation_input_tokens', '12.5', 'usage.cache_creation_input_tokens is not a whole number'],
    ['output_tokens', '"120"', 'usage.output_tokens is not a number'],
    ['input_tokens', 'true', 'usage.input_tokens is not a number'],
  ];
  for (const [field, raw, reason] of bad) {
    it(`a Claude line with ${field} = ${raw} is malformed: ${reason}`, () => {
      const line = claudeAssistant('x', { ...USAGE, [field]: 'VALUE' }).replace('"VALUE"', raw);
      expect(readClaudeLine(line)).toEqual({ kind: 'malformed', reason });
    });
  }

  it('the 1-hour cache breakdown is checked too, and so is costUSD', () => {
    const breakdown = claudeAssistant('x', {
      ...USAGE,
      cache_creation: { ephemeral_5m_input_tokens: 1, ephemeral_1h_input_tokens: -1 },
    });
    expect(readClaudeLine(breakdown)).toEqual({
      kind: 'malformed',
      reason: 'usage.cache_creation.ephemeral_1h_input_tokens is negative',
    });
    const costs: [string, string][] = [
      ['1e308', 'costUSD is above $1000000 (1e+308)'],
      ['1e400', 'costUSD is not a finite number'],
      ['-0.5', 'costUSD is negative'],
      ['"0.5"', 'costUSD is not a number'],
    ];
    for (const [raw, reason] of costs) {
      const line = claudeAssistant('x', USAGE, { costUSD: 'COST' }).replace('"COST"', raw);
      expect(readClaudeLine(line)).toEqual({ kind: 'malformed', reason });
    }
    const fine = readClaudeLine(
      claudeAssistant('x', { ...USAGE, output_tokens: 1_000_000_000 }, { costUSD: 0.25 }),
    );
    expect(fine).toMatchObject({ kind: 'message', costUSD: 0.25, usage: { output: 1_000_000_000 } });
  });

  it('Codex token counts: totals up to 1e12, each event’s growth and last usage up to 1e9', () => {
    const event = (info: Record<string, unknown>) =>
      JSON.stringify({
        timestamp: '2026-11-02T10:00:00Z',
        type: 'event_msg',
        payload: { type: 'token_count', info },
      });
    const totals = (input: unknown, output = 10) => ({
      input_tokens: input,
      cached_input_tokens: 0,
      output_tokens: output,
    });
    const codex = new CodexAssembler('rollout');
    expect(codex.add(event({ total_token_usage: totals(100) }), 1)).toBe('used');
    expect(codex.add(event({ total_token_usage: totals(-1) }), 2)).toEqual({
      malformed: 'total_token_usage.input_tokens is negative',
    });
    expect(codex.add(event({ total_token_usage: totals('5') }), 3)).toEqual({
      malformed: 'total_token_usage.input_tokens is not a number',
    });
    expect(codex.add(event({ total_token_usage: totals(2e12) }), 4)).toEqual({
      malformed: 'total_token_usage.input_tokens is above 1e+12 tokens (2000000000000)',
    });
    expect(codex.add(event({ last_token_usage: totals(1.5) }), 5)).toEqual({
      malformed: 'last_token_usage.input_tokens is not a whole number',
    });
    // Refused lines left the running totals alone: this event's usage is its growth since line 1.
    expect(codex.add(event({ total_token_usage: totals(300, 30) }), 6)).toBe('used');
    expect(codex.add(event({ total_token_usage: totals(5e9, 30) }), 7)).toEqual({
      malformed: 'total_token_usage grew by more than 1e+9 input tokens in one event',
    });
    // Later events are measured from the refused event's totals.
    expect(codex.add(event({ total_token_usage: totals(5e9 + 50, 40) }), 8)).toBe('used');
    const usage = [...codex.takeBatch().turns.values()].map((t) => [t.usage?.input, t.usage?.output]);
    expect(usage).toEqual([
      [100, 10],
      [200, 20],
      [50, 10],
    ]);
  });

  it('imported with valid lines, bad counts are reported and the totals stay whole and finite; re-import is a no-op', () => {
    const lines = [
      claudeAssistant('ok', USAGE),
      ...bad.map(([field, raw], i) =>
        claudeAssistant(`bad${i}`, { ...USAGE, [field]: 'VALUE' }).replace('"VALUE"', raw),
      ),
      claudeAssistant('cost', USAGE, { costUSD: 'COST' }).replace('"COST"', '1e308'),
    ];
    const { root } = claudeTree(lines);
    const db = freshStore();
    const result = importInto(db, [root]);
    expect(result.filesFailed).toEqual([]);
    expect(result.malformed.map((m) => [m.line, m.reason])).toEqual([
      ...bad.map(([, , reason], i) => [i + 2, reason]),
      [bad.length + 2, 'costUSD is above $1000000 (1e+308)'],
    ]);
    const { totals } = computeStats(db.sqlite);
    expect(totals).toMatchObject({
      input_tokens: 10,
      output_tokens: 20,
      cache_read_tokens: 30,
      cache_creation_tokens: 40,
      turns: 1,
    });
    expect(Number.isFinite(totals.cost_usd)).toBe(true);
    expectNoOpReimport(db, [root]);
  });
});
