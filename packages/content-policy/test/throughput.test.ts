import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileRuleset, getDefaultRuleset, redact } from '../src/index.js';
import { FakeSecrets } from './fake-secrets.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/transcripts');

function jsonlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonlFiles(path);
    return name.endsWith('.jsonl') ? [path] : [];
  });
}

/** The text fields of the committed transcripts: every message content, tool input and tool result. */
function transcriptFields(): string[] {
  const fields: string[] = [];
  const visit = (value: unknown, key: string) => {
    if (typeof value === 'string') {
      if (value.length >= 16 && ['text', 'content', 'thinking', 'output', 'summary'].includes(key))
        fields.push(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        if (name === 'input') fields.push(JSON.stringify(child));
        else visit(child, name);
      }
    }
  };
  for (const file of jsonlFiles(FIXTURES)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      try {
        visit(JSON.parse(line), '');
      } catch {
        // Malformed lines are part of the fixtures; they hold no field.
      }
    }
  }
  return fields;
}

/** Fields that look like a coding session's tool output, with a secret planted now and then. */
function syntheticFields(count: number): string[] {
  const fake = new FakeSecrets(42);
  const shapes = [
    () =>
      `export function handler(req: Request) {\n  const apiKey = process.env.API_KEY;\n  const url = new URL(req.url);\n  return fetch(\`https://api.example.com/v1/\${url.pathname}\`, { headers: { Authorization: \`Bearer \${apiKey}\` } });\n}\n`.repeat(
        8,
      ),
    () =>
      `commit ${fake.hex(40)}\nAuthor: Ada <ada@example.com>\n\n    fix the token refresh when the access key rotates\n\n src/auth.ts | 12 ++++++------\n`.repeat(
        10,
      ),
    () =>
      JSON.stringify({
        type: 'tool_result',
        content: `NODE_ENV=production\nDATABASE_URL=postgres://app:${fake.password()}@db:5432/app\nSTRIPE_SECRET_KEY=${fake.stripeLive()}\n`,
      }),
    () =>
      `The access token expires after an hour; the refresh token is kept in the keychain. Use the API key only on the server, never in the browser bundle. `.repeat(
        12,
      ),
    () =>
      `[{"uuid":"${fake.uuid()}","sessionId":"${fake.uuid()}","input_tokens":1234,"output_tokens":56}]`.repeat(
        20,
      ),
  ];
  return Array.from({ length: count }, (_, index) => shapes[index % shapes.length]!());
}

function measure(name: string, fields: readonly string[], run: (text: string) => number): void {
  const bytes = fields.reduce((sum, field) => sum + Buffer.byteLength(field), 0);
  let findings = 0;
  const rounds = Math.max(1, Math.ceil((4 * 1024 * 1024) / bytes));
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let round = 0; round < rounds; round += 1) for (const field of fields) findings += run(field);
  const cpu = process.cpuUsage(cpuStarted);
  const seconds = (performance.now() - started) / 1000;
  // CPU time says more than wall time on a machine shared with other jobs.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const mb = (bytes * rounds) / (1024 * 1024);
  const count = fields.length * rounds;
  console.log(
    `${name}: ${mb.toFixed(1)} MB in ${count} fields; wall ${(mb / seconds).toFixed(1)} MB/s, ${Math.round(count / seconds)} fields/s; CPU ${(mb / cpuSeconds).toFixed(1)} MB/s, ${Math.round(count / cpuSeconds)} fields/s; ${findings / rounds} findings per round`,
  );
  expect(seconds).toBeGreaterThan(0);
}

describe('redaction on transcript text', () => {
  const fields = transcriptFields();

  it('the committed transcripts give text to work on', () => {
    expect(fields.length).toBeGreaterThan(50);
  });

  it('is idempotent and leaves the text between findings untouched', () => {
    for (const field of fields) {
      const once = redact(field);
      expect(redact(once.text).findings).toEqual([]);
      let at = 0;
      let rebuilt = '';
      for (const finding of once.findings) {
        rebuilt += field.slice(at, finding.start) + `[REDACTED:${finding.rule}]`;
        at = finding.end;
      }
      expect(rebuilt + field.slice(at)).toBe(once.text);
    }
  });

  it('throughput (printed; the benchmark will track it)', { timeout: 120_000 }, () => {
    const ruleset = getDefaultRuleset();
    measure('transcript fixtures', fields, (text) => redact(text, ruleset).findings.length);
    measure('synthetic tool output', syntheticFields(200), (text) => redact(text, ruleset).findings.length);
    const withPatterns = compileRuleset({ patterns: ['ACME-\\d{6}', '(?i)internal\\.acme\\.corp'] });
    measure(
      'transcript fixtures + 2 user patterns',
      fields,
      (text) => redact(text, withPatterns).findings.length,
    );
  });
});
