import type { SeededRandom } from './random.js';

/** Word and code material the synthetic transcripts are assembled from. */

const WORDS = (
  'the a to of and in is for that it this with on be as are we can by not you from at or if will an ' +
  'function test file error value type module config build import export return request response server client ' +
  'database query index table row column schema migration cache token session user state update change fix ' +
  'handle check run command output input path directory package dependency version release branch commit ' +
  'merge diff patch review issue bug feature refactor rename move delete create add remove replace parse ' +
  'stream buffer chunk line offset size limit retry timeout backoff queue worker job task event listener ' +
  'component render props hook effect memo context store reducer action selector route handler middleware ' +
  'auth login logout password secret key permission role policy scope header cookie body json yaml toml ' +
  'interface class method field property argument parameter variable constant enum union generic promise ' +
  'async await callback closure iterator generator array map set object string number boolean null ' +
  'undefined should would could might must need want look see let me now then first next finally also ' +
  'because so but however instead here there which where when what why how all each every some any ' +
  'looks like seems the tests pass failing passing coverage lint format typecheck compile bundle deploy'
).split(' ');

const SENTENCE_OPENERS = [
  'Let me',
  'I will',
  'Now I need to',
  'The problem is that',
  'Looking at',
  'I see that',
  'Next, I should',
  'It looks like',
  'To fix this,',
  'First,',
  'The test',
  'This means',
  'Good, the',
  'Perfect!',
  'Done.',
  'I found',
];

const CODE_LINES = [
  "import { describe, expect, it } from 'vitest';",
  "import type { Database } from './database.js';",
  "import path from 'node:path';",
  'export function parseLine(line: string): Record<string, unknown> | undefined {',
  '  const trimmed = line.trim();',
  '  if (trimmed.length === 0) return undefined;',
  '  return JSON.parse(trimmed) as Record<string, unknown>;',
  '}',
  'export class RequestQueue {',
  '  private readonly pending = new Map<string, Promise<Response>>();',
  '  constructor(private readonly limit: number) {}',
  '  async enqueue(key: string, run: () => Promise<Response>): Promise<Response> {',
  '    const existing = this.pending.get(key);',
  '    if (existing) return existing;',
  '    const promise = run().finally(() => this.pending.delete(key));',
  '    this.pending.set(key, promise);',
  '    return promise;',
  '  }',
  "describe('session store', () => {",
  "  it('keeps the largest usage per message', async () => {",
  '    const store = await openStore(tempDir());',
  '    expect(await store.count()).toBe(3);',
  '  });',
  '});',
  'def handle_request(request, context=None):',
  '    """Handle one request and return the response body."""',
  '    if request.method != "POST":',
  '        raise MethodNotAllowed(request.method)',
  '    payload = json.loads(request.body)',
  '    return {"status": "ok", "items": len(payload)}',
  'fn main() -> Result<(), Box<dyn Error>> {',
  '    let args: Vec<String> = env::args().collect();',
  '    let config = Config::from_args(&args)?;',
  '    run(config)?;',
  '    Ok(())',
  'SELECT id, session_id, timestamp FROM turns WHERE session_id = ? ORDER BY timestamp;',
  'CREATE INDEX IF NOT EXISTS turns_session_idx ON turns (session_id, timestamp);',
  '  const rows = db.prepare(sql).all(sessionId) as TurnRow[];',
  '  for (const row of rows) totals.add(row.model, row.usage);',
  '  return { ...state, loading: false, items: action.payload };',
  '  if (!response.ok) throw new HttpError(response.status, await response.text());',
  '  await fs.promises.mkdir(path.dirname(target), { recursive: true });',
  '  // Retry with exponential backoff; give up after the deadline.',
  '  const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);',
  '  useEffect(() => {',
  '    const id = setInterval(refresh, 5_000);',
  '    return () => clearInterval(id);',
  '  }, [refresh]);',
  '  <Button variant="primary" onClick={onSave} disabled={!dirty}>',
  '    Save changes',
  '  </Button>',
  '  "scripts": { "build": "tsc -p tsconfig.build.json", "test": "vitest run" },',
  'const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info" });',
  'export type Usage = { input: number; output: number; cacheRead: number; cacheWrite: number };',
  '    return Err(ParseError::UnexpectedToken { line, column });',
  '  } catch (error) {',
  '    logger.error({ error }, "failed to flush the outbox");',
  '    throw error;',
  '  }',
  '',
];

const SHELL_OUTPUT = [
  ' ✓ src/parse.test.ts (12 tests) 48ms',
  ' ✓ src/store.test.ts (31 tests) 512ms',
  ' ❯ src/sync.test.ts (8 tests | 1 failed) 233ms',
  '   × pulls rows in change order',
  '     → expected 3 to be 4',
  ' Test Files  2 passed (3)',
  '      Tests  51 passed | 1 failed (52)',
  '   Duration  1.84s (transform 120ms, setup 0ms, collect 410ms, tests 793ms)',
  'npm warn deprecated inflight@1.0.6: This module is not supported',
  'added 312 packages, and audited 313 packages in 6s',
  'Compiling agentlogs v0.3.1 (/src)',
  '    Finished dev [unoptimized + debuginfo] target(s) in 4.21s',
  "src/index.ts(42,7): error TS2322: Type 'string' is not assignable to type 'number'.",
  'Checked 84 files in 31ms. No fixes applied.',
  '-rw-r--r--  1 dev dev  4210 Oct 14 09:12 package.json',
  'drwxr-xr-x  8 dev dev  4096 Oct 14 09:12 src',
  'On branch main',
  "Your branch is up to date with 'origin/main'.",
  'Changes not staged for commit:',
  '\tmodified:   src/store.ts',
  '============================= test session starts ==============================',
  'collected 48 items',
  'tests/test_api.py ........................................              [100%]',
  '============================== 48 passed in 2.31s ===============================',
];

const FILE_NAMES = [
  'src/index.ts',
  'src/store.ts',
  'src/parse.ts',
  'src/sync/push.ts',
  'src/sync/pull.ts',
  'src/commands/import.ts',
  'src/components/SessionList.tsx',
  'src/hooks/useSessions.ts',
  'src/lib/pricing.ts',
  'test/store.test.ts',
  'test/parse.test.ts',
  'package.json',
  'tsconfig.json',
  'README.md',
  'app/main.py',
  'app/models.py',
  'tests/test_api.py',
  'src/main.rs',
  'src/config.rs',
  'migrations/0003_add_usage.sql',
  'docs/architecture.md',
];

const PROMPTS = [
  'the tests in the store package are failing after the last change, can you take a look?',
  'add a --since flag to the stats command that filters by day',
  'refactor the parser so it streams the file instead of reading it whole',
  'why does the build fail on CI but not locally?',
  'write tests for the conflict resolution rule, including ties',
  'can you explain what this function does and whether it handles empty input',
  'rename UserSession to AuthSession everywhere and update the imports',
  'the progress bar flickers on narrow terminals, fix it',
  'commit this with a good message',
  'ok looks good. now update the README with the new flags',
  'implement pagination for the sessions endpoint (cursor based, 100 per page)',
  'there is a memory leak when importing large files — profile it',
  'make the migration idempotent and add a test for running it twice',
  'Add retry with exponential backoff to the HTTP client. Max 5 attempts.',
  'what is the difference between these two approaches? which one should we use?',
  'review my changes in src/sync and point out anything risky',
  'Fix the lint errors',
  'continue',
  'yes, go ahead',
  'Can you make the error message say what the user should do next?',
];

const UNICODE_BITS = ['✓', '→', '…', 'é', 'ü', '—', '“quoted”', '日本語', '🚀', 'ß'];

export function words(rng: SeededRandom, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(rng.pick(WORDS));
  return out.join(' ');
}

export function prose(rng: SeededRandom, sentences: number): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    let s = `${rng.pick(SENTENCE_OPENERS)} ${words(rng, rng.int(5, 22))}`;
    if (rng.chance(0.15)) s += ` \`${rng.pick(FILE_NAMES)}\``;
    if (rng.chance(0.04)) s += ` ${rng.pick(UNICODE_BITS)}`;
    out.push(`${s}.`);
    if (rng.chance(0.12)) out.push('\n\n');
  }
  return out.join(' ');
}

export function codeLines(rng: SeededRandom, count: number): string[] {
  const out: string[] = [];
  let at = rng.int(0, CODE_LINES.length - 1);
  for (let i = 0; i < count; i++) {
    // Mostly sequential runs with occasional jumps, so files look like files rather than noise.
    at = rng.chance(0.15) ? rng.int(0, CODE_LINES.length - 1) : (at + 1) % CODE_LINES.length;
    out.push(CODE_LINES[at]!);
  }
  return out;
}

export function shellOutput(rng: SeededRandom, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(rng.pick(SHELL_OUTPUT));
  return out.join('\n');
}

export function fileName(rng: SeededRandom): string {
  return rng.pick(FILE_NAMES);
}

export function prompt(rng: SeededRandom): string {
  return rng.pick(PROMPTS);
}
