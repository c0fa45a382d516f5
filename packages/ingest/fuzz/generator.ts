/**
 * A seeded generator of random and adversarial transcript lines: real-shaped Claude Code and Codex CLI lines, about
 * half of them mutated (wrong types, dropped fields, cut and corrupted bytes, invalid UTF-8, non-objects, nesting
 * thousands of levels deep, huge strings, absurd token counts and costs, NUL and lone surrogates, CRLF endings).
 * The same seed gives the same bytes.
 */

/** mulberry32: a small, fast, seedable PRNG (32-bit state). */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }
}

/** Placeholders replaced in the serialised line by text `JSON.stringify` cannot produce (or would overflow on). */
const RAW = '\u0001raw:';

/** Token counts no real API call has: each must make its line malformed, never reach a total. */
export const BAD_TOKEN_COUNTS: readonly unknown[] = [
  `${RAW}1e308`,
  `${RAW}1e400`,
  `${RAW}-1e400`,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  1_000_000_001,
  1e12,
  -1,
  -123456,
  0.5,
  12.75,
  '1200',
  'many',
  true,
  {},
  [],
];

const BAD_COSTS: readonly unknown[] = [`${RAW}1e308`, `${RAW}1e400`, -0.01, -1e9, 1e7, '0.42', false];

const WORDS = [
  'fix',
  'the',
  'build',
  'run',
  'tests',
  'refactor',
  'parser',
  'ünïcödé',
  '日本語',
  '🙂',
  'emoji 😀',
  '"quoted"',
  'back\\slash',
  'tab\there',
  'line\nbreak',
  '\u001b[31mred\u001b[0m',
];
const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-1-20250805',
  'claude-haiku-4-5-20251001',
  '<synthetic>',
];
const CODEX_MODELS = ['gpt-5-codex', 'gpt-5.1-codex-max', 'gpt-5'];
const TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Grep', 'mcp__server__tool'];

interface FileContext {
  sessions: string[];
  cwd: string;
  messageIds: { id: string; requestId: string }[];
  totals: { input: number; cached: number; output: number; reasoning: number };
  time: number;
}

export class LineFuzzer {
  readonly random: Random;
  private context: FileContext;

  constructor(seed: number) {
    this.random = new Random(seed);
    this.context = this.newFile();
  }

  /** Starts the lines of a new transcript file (new sessions, paths and running Codex totals). */
  newFile(): FileContext {
    const r = this.random;
    this.context = {
      sessions: [r.uuid(), r.uuid()],
      cwd: `/home/dev/projects/${r.pick(['alpha', 'beta', 'gamma ü', 'delta'])}`,
      messageIds: [],
      totals: { input: 0, cached: 0, output: 0, reasoning: 0 },
      time: Date.UTC(2026, r.int(12), 1 + r.int(28), r.int(24), r.int(60)),
    };
    return this.context;
  }

  /** One Claude Code line with its line ending, possibly mutated. */
  claudeLine(): Buffer {
    return this.finish(this.claudeObject());
  }

  /** One Codex CLI rollout line with its line ending, possibly mutated. */
  codexLine(): Buffer {
    return this.finish(this.codexObject());
  }

  private text(): string {
    const r = this.random;
    const n = 1 + r.int(12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(r.pick(WORDS));
    return words.join(' ');
  }

  private timestamp(): string {
    this.context.time += this.random.int(90_000);
    return new Date(this.context.time).toISOString();
  }

  private usage(): Record<string, unknown> {
    const r = this.random;
    const fiveMinutes = r.int(20_000);
    const oneHour = r.chance(0.3) ? r.int(5_000) : 0;
    const usage: Record<string, unknown> = {
      input_tokens: r.int(5_000),
      cache_creation_input_tokens: fiveMinutes + oneHour,
      cache_read_input_tokens: r.int(200_000),
      output_tokens: r.int(8_000),
      service_tier: 'standard',
    };
    if (r.chance(0.7)) {
      usage.cache_creation = { ephemeral_5m_input_tokens: fiveMinutes, ephemeral_1h_input_tokens: oneHour };
    }
    if (r.chance(0.1)) usage.speed = r.pick(['fast', 'standard']);
    return usage;
  }

  private claudeObject(): Record<string, unknown> {
    const r = this.random;
    const c = this.context;
    const base = {
      parentUuid: r.chance(0.2) ? null : r.uuid(),
      isSidechain: r.chance(0.1),
      userType: 'external',
      cwd: c.cwd,
      sessionId: r.pick(c.sessions),
      version: '2.1.38',
      gitBranch: 'main',
    };
    const kind = r.int(10);
    if (kind < 3) {
      return {
        ...base,
        type: 'user',
        message: { role: 'user', content: this.text() },
        uuid: r.uuid(),
        timestamp: this.timestamp(),
      };
    }
    if (kind === 3) {
      return {
        ...base,
        type: 'user',
        message: {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: `toolu_${r.hex(20)}`,
              content: r.chance(0.2) ? `[main ${r.hex(7)}] ${this.text()}` : this.text(),
              is_error: r.chance(0.1),
            },
          ],
        },
        uuid: r.uuid(),
        timestamp: this.timestamp(),
      };
    }
    if (kind < 8) {
      // Streamed responses: several lines share a message id and request id.
      let ids = c.messageIds.length > 0 && r.chance(0.4) ? r.pick(c.messageIds) : undefined;
      if (!ids) {
        ids = { id: `msg_${r.hex(24)}`, requestId: `req_${r.hex(24)}` };
        c.messageIds.push(ids);
        if (c.messageIds.length > 8) c.messageIds.shift();
      }
      const tool = r.pick(TOOLS);
      const block = r.chance(0.6)
        ? { type: 'text', text: this.text() }
        : {
            type: 'tool_use',
            id: `toolu_${r.hex(20)}`,
            name: tool,
            input:
              tool === 'Bash'
                ? {
                    command: r.chance(0.3) ? `git commit -m "${this.text()}"` : 'ls -la',
                    description: this.text(),
                  }
                : {
                    file_path: `${c.cwd}/src/${r.hex(6)}.ts`,
                    old_string: this.text(),
                    new_string: this.text(),
                  },
          };
      const line: Record<string, unknown> = {
        ...base,
        type: 'assistant',
        message: {
          id: ids.id,
          type: 'message',
          role: 'assistant',
          model: r.pick(MODELS),
          content: [block],
          stop_reason: null,
          usage: this.usage(),
        },
        requestId: ids.requestId,
        uuid: r.uuid(),
        timestamp: this.timestamp(),
      };
      if (r.chance(0.05)) line.costUSD = r.int(100_000) / 10_000;
      if (r.chance(0.1)) line.agentId = r.hex(8);
      return line;
    }
    if (kind === 8) return { type: 'summary', summary: this.text(), leafUuid: r.uuid() };
    return {
      ...base,
      type: 'progress',
      data: { type: 'hook_progress', hookEvent: 'SessionStart', command: this.text() },
      uuid: r.uuid(),
      timestamp: this.timestamp(),
    };
  }

  private codexObject(): Record<string, unknown> {
    const r = this.random;
    const c = this.context;
    const kind = r.int(10);
    const timestamp = this.timestamp();
    if (kind === 0) {
      return {
        timestamp,
        type: 'session_meta',
        payload: {
          id: c.sessions[0],
          timestamp,
          cwd: c.cwd,
          originator: 'codex_cli_rs',
          cli_version: '0.46.0',
        },
      };
    }
    if (kind === 1) {
      return { timestamp, type: 'turn_context', payload: { cwd: c.cwd, model: r.pick(CODEX_MODELS) } };
    }
    if (kind < 5) {
      const role = r.pick(['user', 'assistant']);
      return {
        timestamp,
        type: 'response_item',
        payload: {
          type: 'message',
          role,
          content: [{ type: role === 'user' ? 'input_text' : 'output_text', text: this.text() }],
        },
      };
    }
    if (kind < 9) {
      const last = {
        input_tokens: r.int(50_000),
        cached_input_tokens: 0,
        output_tokens: r.int(4_000),
        reasoning_output_tokens: 0,
        total_tokens: 0,
      };
      last.cached_input_tokens = r.int(last.input_tokens + 1);
      last.reasoning_output_tokens = r.int(last.output_tokens + 1);
      last.total_tokens = last.input_tokens + last.output_tokens;
      const t = c.totals;
      t.input += last.input_tokens;
      t.cached += last.cached_input_tokens;
      t.output += last.output_tokens;
      t.reasoning += last.reasoning_output_tokens;
      return {
        timestamp,
        type: 'event_msg',
        payload: {
          type: 'token_count',
          info: {
            total_token_usage: {
              input_tokens: t.input,
              cached_input_tokens: t.cached,
              output_tokens: t.output,
              reasoning_output_tokens: t.reasoning,
              total_tokens: t.input + t.output,
            },
            last_token_usage: last,
            model_context_window: 272_000,
          },
        },
      };
    }
    return { timestamp, type: 'event_msg', payload: { type: 'agent_message', message: this.text() } };
  }

  /** Mutates (or not) a line's object, serialises it, mutates (or not) its bytes and adds its line ending. */
  private finish(value: Record<string, unknown>): Buffer {
    const r = this.random;
    let out: unknown = value;
    if (r.chance(0.5)) {
      const mutations = 1 + (r.chance(0.2) ? r.int(3) : 0);
      for (let i = 0; i < mutations; i++) out = this.mutate(out);
    }
    let text = typeof out === 'string' && out.startsWith(RAW) ? out.slice(RAW.length) : JSON.stringify(out);
    if (text === undefined) text = '';
    text = text.replace(/"\\u0001raw:([^"]*)"/g, (_m, raw: string) => this.expandRaw(raw));
    let bytes: Buffer = Buffer.from(text, 'utf8');
    if (r.chance(0.12)) bytes = this.mutateBytes(bytes);
    const ending = r.chance(0.1) ? '\r\n' : '\n';
    return Buffer.concat([bytes, Buffer.from(ending)]);
  }

  /** Raw JSON text for a placeholder: numbers JSON.stringify cannot write, and nesting it would overflow on. */
  private expandRaw(raw: string): string {
    if (raw.startsWith('deep-array:')) {
      const depth = Number(raw.slice(11));
      return '['.repeat(depth) + ']'.repeat(depth);
    }
    if (raw.startsWith('deep-object:')) {
      const depth = Number(raw.slice(12));
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    }
    return raw;
  }

  private mutate(value: unknown): unknown {
    const r = this.random;
    if (value === null || typeof value !== 'object') return value;
    switch (r.int(12)) {
      case 0:
        return this.setRandom(value, () => this.wrongValue());
      case 1:
        return this.dropRandom(value);
      case 2:
      case 3:
        return this.badUsage(value);
      case 4:
        return r.pick<unknown>([
          42,
          'a string',
          [1, 2, 3],
          null,
          true,
          [value],
          `${RAW}NaN`,
          `${RAW}"unterminated`,
          `${RAW}{}`,
          `${RAW}   `,
        ]);
      case 5: {
        // Deep lines are slow to parse (a few ms each): one in a hundred lines is enough.
        if (r.chance(0.75)) return this.setRandom(value, () => this.wrongValue());
        const depth = 5_000 + r.int(5_000);
        const deep = `${RAW}${r.chance(0.5) ? 'deep-array' : 'deep-object'}:${depth}`;
        const message = (value as { message?: { content?: unknown } }).message;
        if (message && Array.isArray(message.content) && r.chance(0.5)) {
          // Deep inside a tool call's input: the value that is serialised again when stored.
          message.content.push({
            type: 'tool_use',
            id: `toolu_${r.hex(20)}`,
            name: 'Bash',
            input: { x: deep },
          });
          return value;
        }
        return this.setRandom(value, () => deep);
      }
      case 6:
        return this.setRandomString(value, (s) => {
          const size = r.chance(0.002)
            ? 256 * 1024 + r.int(768 * 1024)
            : r.chance(0.05)
              ? 16 * 1024 + r.int(48 * 1024)
              : 512 + r.int(4 * 1024);
          const unit = r.pick(['x', 'ü', '日', '😀', '\\', '"', ' ']);
          return s + unit.repeat(Math.ceil(size / Buffer.byteLength(unit)));
        });
      case 7:
      case 8:
        return this.setRandomString(value, (s) => {
          const at = r.int(s.length + 1);
          const bad = r.pick(['\u0000', '\ud800', '\udfff', '\udbff', '\u0000\ud83d', '\ude00\ud83d']);
          return s.slice(0, at) + bad + s.slice(at);
        });
      case 9:
        return this.setRandom(value, () =>
          r.pick(['', 'not a date', '1', '99999-12-31T00:00:00Z', '2026-13-45']),
        );
      case 10: {
        (value as Record<string, unknown>).costUSD = r.pick(BAD_COSTS);
        return value;
      }
      default: {
        // A key holding a NUL or a lone surrogate.
        (value as Record<string, unknown>)[r.pick(['k\u0000ey', '\ud800', 'type\u0000'])] = this.text();
        return value;
      }
    }
  }

  private wrongValue(): unknown {
    const r = this.random;
    return r.pick<unknown>([
      null,
      0,
      -1,
      1.5,
      '',
      'text',
      true,
      [],
      {},
      [null],
      { type: 'text' },
      this.text(),
    ]);
  }

  /** Every (container, key) in the value, found without recursion (the value is shallow here). */
  private slots(value: unknown): [Record<string, unknown> | unknown[], string | number][] {
    const out: [Record<string, unknown> | unknown[], string | number][] = [];
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const v = stack.pop();
      if (Array.isArray(v)) {
        v.forEach((child, i) => {
          out.push([v, i]);
          if (child && typeof child === 'object') stack.push(child);
        });
      } else if (v && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          out.push([v as Record<string, unknown>, k]);
          if (child && typeof child === 'object') stack.push(child);
        }
      }
    }
    return out;
  }

  private setRandom(value: unknown, make: () => unknown): unknown {
    const slots = this.slots(value);
    if (slots.length === 0) return value;
    const [container, key] = this.random.pick(slots);
    (container as Record<string | number, unknown>)[key] = make();
    return value;
  }

  private setRandomString(value: unknown, change: (s: string) => string): unknown {
    const slots = this.slots(value).filter(
      ([c, k]) => typeof (c as Record<string | number, unknown>)[k] === 'string',
    );
    if (slots.length === 0) return value;
    const [container, key] = this.random.pick(slots);
    const c = container as Record<string | number, unknown>;
    c[key] = change(c[key] as string);
    return value;
  }

  private dropRandom(value: unknown): unknown {
    const slots = this.slots(value).filter(([c]) => !Array.isArray(c));
    if (slots.length === 0) return value;
    const [container, key] = this.random.pick(slots);
    delete (container as Record<string, unknown>)[key as string];
    return value;
  }

  /** Puts an absurd number (or a non-number) in one token count or total. */
  private badUsage(value: unknown): unknown {
    const r = this.random;
    const slots = this.slots(value).filter(
      ([, k]) => typeof k === 'string' && (k.endsWith('_tokens') || k.endsWith('_input_tokens')),
    );
    if (slots.length === 0) return value;
    const [container, key] = r.pick(slots);
    (container as Record<string, unknown>)[key as string] = r.pick(BAD_TOKEN_COUNTS);
    return value;
  }

  /** Cuts the line, overwrites some of its bytes, or inserts bytes that are not UTF-8. */
  private mutateBytes(bytes: Buffer): Buffer {
    const r = this.random;
    switch (r.int(3)) {
      case 0:
        return bytes.subarray(0, r.int(bytes.length + 1));
      case 1: {
        const copy = Buffer.from(bytes);
        const n = 1 + r.int(4);
        for (let i = 0; i < n && copy.length > 0; i++)
          copy[r.int(copy.length)] = r.pick([0, 0x22, 0x5c, 0x7b, r.int(256)]);
        return copy;
      }
      default: {
        const bad = Buffer.from(
          r.pick([
            [0xff],
            [0xc0, 0x80],
            [0xed, 0xa0, 0x80],
            [0xed, 0xbf, 0xbf],
            [0xf4, 0x90, 0x80, 0x80],
            [0xe2, 0x82],
          ]),
        );
        const at = r.int(bytes.length + 1);
        return Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]);
      }
    }
  }
}
