import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LATEST_SCHEMA_VERSION, openLocalDatabase } from '@agentlogs/local-store';
import { parseAst } from 'rolldown/parseAst';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Spawns the built CLI several times: allow for a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const cliRoot = path.join(here, '..');
const dist = path.join(cliRoot, 'dist');
const bin = path.join(dist, 'bin.js');
const packageJson = JSON.parse(readFileSync(path.join(cliRoot, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentlogs-bundle-'));
  temps.push(dir);
  return dir;
}

/**
 * Runs the CLI with hooks that write to a file the URL of every module the bundle loads: the CommonJS files it
 * requires (the entry, its chunks and better-sqlite3, but not what better-sqlite3 requires in turn) and every ES
 * module (`import()` of the ES-only `open`, and all that loads). Returns the run's result with those URLs, each
 * once.
 */
function cliLoading(home: string, args: string[], env: Record<string, string> = {}, input?: string) {
  const hooks = path.join(home, 'load-hooks.mjs');
  const register = path.join(home, 'register-hooks.mjs');
  const log = path.join(home, 'loaded.txt');
  writeFileSync(
    hooks,
    "import { appendFileSync } from 'node:fs';\n" +
      'export async function load(url, context, next) {\n' +
      "  appendFileSync(process.env.AGENTLOGS_TEST_LOAD_LOG, url + '\\n');\n" +
      '  return next(url, context);\n' +
      '}\n',
  );
  writeFileSync(
    register,
    [
      "import { appendFileSync } from 'node:fs';",
      "import Module, { register } from 'node:module';",
      "import { pathToFileURL } from 'node:url';",
      `register(${JSON.stringify(pathToFileURL(hooks).href)});`,
      `const dist = ${JSON.stringify(dist + path.sep)};`,
      'const load = Module._load;',
      'Module._load = function (request, parent, isMain) {',
      '  if (!Module.isBuiltin(request) && (isMain || parent?.filename?.startsWith(dist))) {',
      '    const file = Module._resolveFilename(request, parent, isMain);',
      "    appendFileSync(process.env.AGENTLOGS_TEST_LOAD_LOG, pathToFileURL(file).href + '\\n');",
      '  }',
      '  return load.apply(this, arguments);',
      '};',
      '',
    ].join('\n'),
  );
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, bin, ...args], {
    input,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AGENTLOGS_HOME: path.join(home, 'data'),
      AGENTLOGS_TEST_LOAD_LOG: log,
      TZ: 'UTC',
      ...env,
    },
    encoding: 'utf8',
  });
  const loaded = [
    ...new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url.startsWith('file:') && !url.startsWith(pathToFileURL(home).href)),
    ),
  ].map((url) => fileURLToPath(url));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

/** The `source` of an import, export or `import()` node. */
interface ImportSource {
  type?: string;
  value?: unknown;
  expressions?: unknown[];
  quasis?: { value: { cooked?: string } }[];
}

/** Calls `visit` on every node of an ESTree. */
function walk(node: unknown, visit: (node: object) => void): void {
  if (Array.isArray(node)) for (const child of node) walk(child, visit);
  else if (node && typeof node === 'object') {
    if ('type' in node) visit(node);
    for (const value of Object.values(node)) if (value && typeof value === 'object') walk(value, visit);
  }
}

/** Files loaded from the bundle, and files loaded from anywhere else. */
function split(loaded: string[]) {
  const fromDist = loaded.filter((f) => f.startsWith(dist + path.sep));
  const elsewhere = loaded.filter((f) => !f.startsWith(dist + path.sep));
  return { fromDist, elsewhere };
}

/** The package (as named in node_modules) a file outside the bundle belongs to. */
function packageOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return undefined;
  const first = parts[i + 1] ?? '';
  return first.startsWith('@') ? `${first}/${parts[i + 2]}` : first;
}

describe('the bundled binary', () => {
  it('dist/bin.js runs on its own (shebang, executable bit) and prints the package version', () => {
    accessSync(bin, constants.X_OK);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${packageJson.version}\n`);
  });

  it('imports by name only Node built-ins and the packages in dependencies', () => {
    const builtins = new Set(builtinModules);
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const named = new Set<string>();
    for (const file of files) {
      // Every `require("x")`, `import … from "x"`, `export … from "x"` and `import("x")` with a bare name.
      // The minifier may write a name as a template literal (import(`open`)).
      walk(parseAst(readFileSync(path.join(dist, file), 'utf8')), (node) => {
        const call = node as {
          type?: string;
          callee?: { type?: string; name?: string };
          arguments?: unknown[];
        };
        const source =
          call.type === 'CallExpression' &&
          call.callee?.type === 'Identifier' &&
          call.callee.name === 'require'
            ? (call.arguments?.[0] as ImportSource | undefined)
            : (node as { source?: ImportSource }).source;
        const name =
          source?.type === 'Literal'
            ? source.value
            : source?.type === 'TemplateLiteral' && source.expressions?.length === 0
              ? source.quasis?.[0]?.value.cooked
              : undefined;
        if (typeof name === 'string' && !name.startsWith('.')) named.add(name);
      });
    }
    const packages = [...named].filter((n) => !n.startsWith('node:') && !builtins.has(n));
    // Optional native helpers of bundled libraries, required inside a `try` and done without when absent: ws's
    // bufferutil and utf-8-validate, pg's pg-native (only under NODE_PG_FORCE_NATIVE or `pg.native`).
    const optional = ['bufferutil', 'utf-8-validate', 'pg-native'];
    expect(packages.sort()).toEqual([...Object.keys(packageJson.dependencies), ...optional].sort());
  });

  it('is CommonJS, which dist/package.json declares for the .js files under it', () => {
    expect(JSON.parse(readFileSync(path.join(dist, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    const r = cliLoading(temp(), ['--version']);
    expect(r.code, r.stderr).toBe(0);
    // Loaded through require: the Module._load hook saw the chunks, not only the ES loader the entry.
    expect(r.loaded.some((f) => path.basename(f).startsWith('main-'))).toBe(true);
  });

  /**
   * The entry, the command table's chunk (`main`) and the chunks these require at load time (not those
   * required inside `Promise.resolve().then(() => require(…))`, which is how the bundle writes `import()`):
   * what every command loads before its own module.
   */
  function entryChunks(): Set<string> {
    const chunks = path.join(dist, 'chunks');
    const main = readdirSync(chunks).find((f) => /^main-.*\.js$/.test(f));
    expect(main, 'a main-*.js chunk').toBeDefined();
    const found = new Set<string>();
    const visit = (file: string) => {
      if (found.has(file)) return;
      found.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<!=>)require\("(\.{1,2}\/[^"]+)"\)/g))
        visit(path.resolve(path.dirname(file), m[1]!));
    };
    visit(bin);
    visit(path.join(chunks, main!));
    return found;
  }

  it('--version loads the entry and the command table only', () => {
    const r = cliLoading(temp(), ['--version']);
    expect(r.code).toBe(0);
    const { fromDist, elsewhere } = split(r.loaded);
    expect(elsewhere).toEqual([]);
    const allowed = entryChunks();
    expect(fromDist.filter((f) => !allowed.has(f))).toEqual([]);
    expect(fromDist.length).toBeLessThanOrEqual(5);
  });

  it('help, group help, the exit codes and a usage error load the entry and the command table only', () => {
    const home = temp();
    const allowed = entryChunks();
    for (const args of [
      ['--help'],
      ['stats', '--help'],
      ['sync', 'status', '-h'],
      ['help', 'commits', 'list'],
      ['commits'],
      ['config', '--help'],
      ['help', 'exit-codes'],
      ['help'],
      ['help', 'login'],
      ['help', 'supabase'],
      ['comits'],
      ['stats', '--jsn'],
    ]) {
      const r = cliLoading(home, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(args[0] === 'commits' || r.stderr ? 2 : 0);
      const { fromDist, elsewhere } = split(r.loaded);
      expect(elsewhere, args.join(' ')).toEqual([]);
      // No command module, nor anything a command needs (settings, SQLite, supabase-js), is read.
      expect(
        fromDist.filter((f) => !allowed.has(f)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('help topics print the docs shipped in dist/, copied from the repository at build time', () => {
    for (const [topic, file] of [
      ['cli', 'docs/cli.md'],
      ['login', 'docs/login.md'],
      ['supabase', 'supabase/README.md'],
      ['sync-service', 'docs/sync-service.md'],
    ] as const) {
      const shipped = path.join(dist, file);
      expect(readFileSync(shipped, 'utf8')).toBe(readFileSync(path.join(cliRoot, '..', '..', file), 'utf8'));
      const r = spawnSync(process.execPath, [bin, 'help', topic], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${readFileSync(shipped, 'utf8').trimEnd()}\n`);
    }
  });

  it('a help topic missing from an installation is named in one line with exit 7, not an internal error', () => {
    const copy = path.join(temp(), 'dist');
    cpSync(dist, copy, { recursive: true });
    rmSync(path.join(copy, 'docs', 'login.md'));
    const r = spawnSync(process.execPath, [path.join(copy, 'bin.js'), 'help', 'login'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(7);
    expect(r.stderr).toContain("the help topic 'login' is missing from this installation");
    expect(r.stderr).toContain('reinstall');
    expect(r.stderr).not.toMatch(/internal|bug/i);
  });

  it('import and stats load a few bundle files plus better-sqlite3, and find the price table', () => {
    const home = temp();
    const tree = path.join(home, 'claude', 'projects', 'demo');
    mkdirSync(tree, { recursive: true });
    cpSync(path.join(FIXTURES, 'marot-spotter', 'short.jsonl'), path.join(tree, 'short.jsonl'));

    const imported = cliLoading(home, ['import', '--claude-dir', path.join(home, 'claude')]);
    expect(imported.code, imported.stderr).toBe(0);
    const stats = cliLoading(home, ['stats', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    // Costs come from the price table the bundle carries as a file of its own.
    const report = JSON.parse(stats.stdout) as { totals: { cost_usd: number }; prices: { source: string } };
    expect(report.totals.cost_usd).toBeGreaterThan(0);
    expect(report.prices.source).not.toBe('');

    // The statusline, run by Claude Code after every response, loads no more than stats.
    const statusline = cliLoading(
      home,
      ['statusline'],
      {},
      readFileSync(path.join(FIXTURES, 'ccusage-fixtures', 'statusline-test-opus4.json'), 'utf8'),
    );
    expect(statusline.code, statusline.stderr).toBe(0);
    expect(statusline.stdout).toMatch(/^🤖 Opus 4\.1 \| 💰 \$0\.09 session/);

    for (const run of [imported, stats, statusline]) {
      const { fromDist, elsewhere } = split(run.loaded);
      expect(fromDist.length).toBeLessThanOrEqual(17);
      expect(new Set(elsewhere.map(packageOf))).toEqual(new Set(['better-sqlite3']));
    }
    // The statusline answers from its own path: neither the command table nor the store and import chunks.
    const statuslineChunks = split(statusline.loaded).fromDist.map((f) => path.basename(f));
    expect(statuslineChunks.length, statuslineChunks.join(' ')).toBeLessThanOrEqual(8);
    for (const heavy of ['main-', 'local-store-', 'ingest-', 'sync-core-', 'schema-'])
      expect(statuslineChunks.filter((f) => f.startsWith(heavy))).toEqual([]);
    // import reads a setting as plain JSON and stats reads none: the settings writer stays unloaded.
    for (const run of [imported, stats, statusline]) {
      expect(split(run.loaded).fromDist.some((f) => path.basename(f).startsWith('conf-'))).toBe(false);
    }
    // Both open the store without its sync side and views (the `local-store` chunk); stats without the
    // import's writer either.
    for (const run of [imported, stats]) {
      expect(split(run.loaded).fromDist.some((f) => path.basename(f).startsWith('local-store-'))).toBe(false);
    }
    expect(split(stats.loaded).fromDist.some((f) => path.basename(f).startsWith('store-import-'))).toBe(
      false,
    );
    // They run prepared statements: the typed query builder stays unloaded.
    for (const run of [imported, stats, statusline]) {
      expect(split(run.loaded).fromDist.some((f) => path.basename(f).startsWith('kysely-'))).toBe(false);
    }
  });

  it('the statusline hands over to the full command what its fast path does not handle', async () => {
    const home = temp();
    const input = readFileSync(path.join(FIXTURES, 'ccusage-fixtures', 'statusline-test-opus4.json'), 'utf8');
    const fullCommand = (run: { loaded: string[] }) =>
      split(run.loaded).fromDist.some((f) => path.basename(f).startsWith('main-'));
    // No database yet: the full command creates it.
    const first = cliLoading(home, ['statusline'], {}, input);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^🤖 Opus 4\.1 \| 💰 \$0\.09 session \/ \$0\.00 today \/ No active block/);
    expect(fullCommand(first)).toBe(true);
    // From then on the fast path answers alone, with the same line.
    const fast = cliLoading(home, ['statusline'], {}, input);
    expect(fast.code, fast.stderr).toBe(0);
    expect(fast.stdout).toBe(first.stdout);
    expect(fullCommand(fast)).toBe(false);
    // An option given: the full command parses it.
    const withProfile = cliLoading(home, ['statusline', '--profile', 'default'], {}, input);
    expect(withProfile.stdout).toBe(first.stdout);
    expect(fullCommand(withProfile)).toBe(true);
    // Not JSON: the full command's usage error, on the input the fast path read.
    const bad = cliLoading(home, ['statusline'], {}, 'not json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("statusline reads Claude Code's status line JSON on stdin");
    // A database written by a newer agentlogs: the full command says so instead of reading it.
    const store = openLocalDatabase({ dir: path.join(home, 'data') });
    store.sqlite.prepare('insert into schema_version (version) values (?)').run(LATEST_SCHEMA_VERSION + 1);
    await store.close();
    const newer = cliLoading(home, ['statusline'], {}, input);
    expect(newer.code).toBe(6);
    expect(newer.stderr).toContain('install the newer agentlogs');
    expect(newer.stdout).toBe('');
  });

  it('a command that talks to the server loads supabase-js from the bundle', () => {
    const r = cliLoading(temp(), ['whoami'], {
      AGENTLOGS_SUPABASE_URL: 'http://127.0.0.1:9',
      // An anon key's shape: a JWT whose payload is {"role":"anon"}.
      AGENTLOGS_SUPABASE_ANON_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl',
    });
    expect(r.stderr).toContain('agentlogs whoami:');
    const { fromDist, elsewhere } = split(r.loaded);
    expect(fromDist.some((f) => path.basename(f).startsWith('supabase-'))).toBe(true);
    expect(elsewhere).toEqual([]);
  });
});
