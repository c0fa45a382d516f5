/**
 * The packages a user installs: `@agentlogs/cli` and `@agentlogs/sync-core` packed as for publishing
 * (`pnpm pack`), checked for what they carry, then run from the packed files.
 *
 * Always: the packed files are unpacked into an empty `node_modules` next to the CLI's two runtime
 * dependencies, and the binary and the sync-core example run from there, and the binary sets up an empty
 * project (the migrations it carries, the login, a first sync). With AGENTLOGS_TEST_PACKAGE_INSTALL=1 (set by
 * `.ci/run`): both tarballs are installed with `npm i -g` into an empty prefix, fetching better-sqlite3 and open
 * from the npm registry as a user's install does (better-sqlite3 compiles from source when no prebuilt binary can
 * be downloaded: minutes on a busy machine), and the installed `agentlogs` does the same.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AuthStandIn,
  applySqlFile,
  BOOTSTRAP_SQL_PATH,
  engineFromEnv,
  findAuthorizeUrl,
  playBrowserLogin,
  startPostgres,
  startStandIn,
} from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const cliRoot = path.join(repo, 'apps', 'cli');
const syncCoreRoot = path.join(repo, 'packages', 'sync-core');
const FIXTURES = path.join(repo, 'fixtures', 'transcripts', 'ccusage-fixtures');
const INSTALL = process.env.AGENTLOGS_TEST_PACKAGE_INSTALL === '1';

interface PackedManifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  files?: string[];
  exports?: Record<string, { types: string; default: string }>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  publishConfig?: { access?: string };
}

interface Packed {
  tarball: string;
  /** Paths inside the package (without the tarball's `package/` prefix). */
  files: string[];
  /** The tarball unpacked: `<dir>/package`. */
  unpacked: string;
  manifest: PackedManifest;
}

let work: string;
let cli: Packed;
let syncCore: Packed;

function pack(packageDir: string, dest: string): Packed {
  mkdirSync(dest, { recursive: true });
  execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: packageDir, stdio: 'pipe' });
  const [name] = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (!name) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
  const tarball = path.join(dest, name);
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && !f.endsWith('/'))
    .map((f) => f.replace(/^package\//, ''));
  execFileSync('tar', ['-xzf', tarball, '-C', dest]);
  const unpacked = path.join(dest, 'package');
  const manifest = JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as PackedManifest;
  return { tarball, files, unpacked, manifest };
}

/** Every file under `dir`, relative to it, with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'agentlogs-package-'));
  cli = pack(cliRoot, path.join(work, 'packed-cli'));
  syncCore = pack(syncCoreRoot, path.join(work, 'packed-sync-core'));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the @agentlogs/cli tarball', () => {
  it('is scoped, public, installs the agentlogs binary and needs only better-sqlite3 and open', () => {
    const m = cli.manifest;
    expect(m.name).toBe('@agentlogs/cli');
    expect(m.publishConfig?.access).toBe('public');
    expect(Object.keys(m.bin ?? {})).toEqual(['agentlogs']);
    expect(cli.files).toContain(path.posix.normalize(m.bin!.agentlogs!));
    expect(Object.keys(m.dependencies ?? {}).sort()).toEqual(['better-sqlite3', 'open']);
    expect(m.engines?.node).toBe('>=20');
    // Workspace links are replaced by versions when packing.
    expect(JSON.stringify(m)).not.toContain('workspace:');
  });

  it('holds every file of the built dist/: entry, chunks, source maps and assets', () => {
    const dist = filesUnder(path.join(cliRoot, 'dist')).map((f) => `dist/${f}`);
    expect(dist.some((f) => f.startsWith('dist/chunks/'))).toBe(true);
    expect(dist.some((f) => /^dist\/assets\/prices-.*\.json$/.test(f))).toBe(true);
    expect(cli.files.filter((f) => f.startsWith('dist/')).sort()).toEqual(dist.sort());
  });

  it('holds every file the bundle reads next to its own code', () => {
    const read: string[] = [];
    for (const file of cli.files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(path.join(cli.unpacked, file), 'utf8');
      // `new URL('../docs/login.md', import.meta.url)` in the sources; the CommonJS bundle spells the module's URL
      // `require("url").pathToFileURL(__filename).href`.
      for (const m of code.matchAll(
        /new URL\((["'`])([^"'`$]+)\1,\s*(?:import\.meta\.url|require\("url"\)\.pathToFileURL\(__filename\)\.href)\)/g,
      ))
        read.push(path.posix.join(path.posix.dirname(file), m[2]!));
    }
    expect(read).toContain('dist/docs/login.md');
    expect(read.some((f) => f.startsWith('dist/assets/prices-'))).toBe(true);
    for (const file of read) expect(cli.files, file).toContain(file);
  });

  it('carries the Supabase migrations byte for byte, and the docs that `agentlogs help` prints', () => {
    const migrations = readdirSync(path.join(repo, 'supabase', 'migrations')).filter((f) =>
      f.endsWith('.sql'),
    );
    expect(migrations.length).toBeGreaterThan(0);
    expect(cli.files.filter((f) => f.startsWith('dist/supabase/migrations/')).sort()).toEqual(
      migrations.map((f) => `dist/supabase/migrations/${f}`).sort(),
    );
    const shipped: Record<string, string> = Object.fromEntries(
      migrations.map((f) => [`dist/supabase/migrations/${f}`, `supabase/migrations/${f}`]),
    );
    Object.assign(shipped, {
      'dist/docs/cli.md': 'docs/cli.md',
      'dist/docs/login.md': 'docs/login.md',
      'dist/docs/sync-service.md': 'docs/sync-service.md',
      'dist/supabase/README.md': 'supabase/README.md',
    });
    for (const [inPackage, inRepo] of Object.entries(shipped)) {
      expect(
        readFileSync(path.join(cli.unpacked, inPackage)).equals(readFileSync(path.join(repo, inRepo))),
        inPackage,
      ).toBe(true);
    }
  });
});

describe('the @agentlogs/sync-core tarball', () => {
  it('is ESM with types for each entry point, a README and a compiled example', () => {
    const m = syncCore.manifest;
    expect(m.name).toBe('@agentlogs/sync-core');
    expect(m.publishConfig?.access).toBe('public');
    expect(m.dependencies ?? {}).toEqual({});
    expect(JSON.stringify(m)).not.toContain('workspace:');
    expect(Object.keys(m.exports ?? {}).sort()).toEqual(['.', './testing']);
    for (const entry of Object.values(m.exports ?? {})) {
      expect(syncCore.files).toContain(path.posix.normalize(entry.types));
      expect(syncCore.files).toContain(path.posix.normalize(entry.default));
    }
    expect(syncCore.files).toContain('README.md');
    expect(syncCore.files).toContain('dist/examples/two-machines.js');
    expect(syncCore.files).toContain('examples/statusline-cost.ts');
    expect(syncCore.files.filter((f) => /(^|\/)test\/|\.test\./.test(f))).toEqual([]);
  });
});

/** Runs a command of the installed (or unpacked) packages, with a home of its own. */
function runner(home: string) {
  return (command: string, args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(command, args, {
      cwd: home,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AGENTLOGS_HOME: path.join(home, 'agentlogs'),
        TZ: 'UTC',
        ...env,
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/** What a new user does first: the version, an import, the stats, login's help, the sync status. */
function exercise(prefix: string, agentlogs: string) {
  const home = path.join(prefix, 'home');
  mkdirSync(home, { recursive: true });
  const run = runner(home);

  const version = run(agentlogs, ['--version']);
  expect(version.code, version.stderr).toBe(0);
  expect(version.stdout).toBe(`${cli.manifest.version}\n`);

  const imported = run(agentlogs, [
    'import',
    '--claude-dir',
    path.join(FIXTURES, 'claude'),
    '--codex-dir',
    path.join(FIXTURES, 'codex'),
  ]);
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toMatch(/^Imported \d+ files/);

  const stats = run(agentlogs, ['stats', '--json']);
  expect(stats.code, stats.stderr).toBe(0);
  const report = JSON.parse(stats.stdout) as {
    totals: { input_tokens: number; output_tokens: number; cost_usd: number; sessions: number };
  };
  expect(report.totals.sessions).toBeGreaterThan(0);
  expect(report.totals.input_tokens).toBeGreaterThan(0);
  expect(report.totals.output_tokens).toBeGreaterThan(0);
  expect(report.totals.cost_usd).toBeGreaterThan(0);

  const login = run(agentlogs, ['login', '--help']);
  expect(login.code, login.stderr).toBe(0);
  expect(login.stdout).toMatch(/^Usage: agentlogs login/);
  expect(login.stdout).toContain("'agentlogs help login'");

  const guide = run(agentlogs, ['help', 'login']);
  expect(guide.code, guide.stderr).toBe(0);
  expect(guide.stdout).toBe(`${readFileSync(path.join(repo, 'docs', 'login.md'), 'utf8').trimEnd()}\n`);

  // No project configured: sync is not set up, and the status says so instead of failing.
  const status = run(agentlogs, ['sync', 'status']);
  expect(status.code, status.stderr).toBe(0);
  expect(status.stdout).toMatch(/^Backend: +not configured$/m);
  expect(status.stdout).toMatch(/^User: +not logged in$/m);
}

function exerciseSyncCore(syncCoreDir: string, home: string) {
  mkdirSync(home, { recursive: true });
  const example = runner(home)(process.execPath, [
    path.join(syncCoreDir, 'dist', 'examples', 'two-machines.js'),
  ]);
  expect(example.code, example.stderr).toBe(0);
  expect(example.stdout).toContain(
    'after sync   laptop: $3.75 today on 2 machines  desktop: $3.75 today on 2 machines',
  );
  expect(example.stdout).toContain('verify: ok');
}

/**
 * What the installed CLI does for a new project without this repository: `setup --yes` against the stand-in on a
 * database with nothing of agentlogs applies the migrations the package carries, logs in, imports and syncs.
 */
async function setUpFromPackage(prefix: string, agentlogs: string): Promise<void> {
  const cluster = await startPostgres(engineFromEnv());
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('create database packaged_project');
    await admin.end();
    const databaseUrl = `${cluster.databaseUrl('packaged_project')}?sslmode=disable`;
    await applySqlFile(databaseUrl, BOOTSTRAP_SQL_PATH);
    const standIn = await startStandIn({ databaseUrl, routes: [] });
    new AuthStandIn().mountOn(standIn);
    const database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    try {
      const home = path.join(prefix, 'setup-home');
      mkdirSync(home, { recursive: true });
      const extra = {
        AGENTLOGS_MACHINE_NAME: 'packaged',
        CLAUDE_CONFIG_DIR: path.join(FIXTURES, 'claude'),
        CODEX_HOME: path.join(FIXTURES, 'codex'),
      };
      // As runner() sets it for the commands after setup.
      const env = {
        PATH: process.env.PATH,
        HOME: home,
        AGENTLOGS_HOME: path.join(home, 'agentlogs'),
        TZ: 'UTC',
        ...extra,
      };
      const child = spawn(
        agentlogs,
        [
          'setup',
          '--yes',
          '--url',
          standIn.url,
          '--anon-key',
          standIn.anonKey,
          '--db-url',
          databaseUrl,
          '--runner',
          'builtin',
          '--no-browser',
          '--timeout',
          '60',
        ],
        { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      let authorize: string | undefined;
      for (let i = 0; i < 1200 && !authorize && child.exitCode === null; i++) {
        authorize = findAuthorizeUrl(stderr);
        if (!authorize) await new Promise((r) => setTimeout(r, 50));
      }
      expect(authorize, stderr).toBeDefined();
      await playBrowserLogin(authorize!);
      expect(await exited, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toContain('Set up.');

      const shipped = readdirSync(path.join(path.dirname(realpathSync(agentlogs)), 'supabase', 'migrations'))
        .filter((f) => f.endsWith('.sql'))
        .map((f) => f.split('_')[0])
        .sort();
      const applied = await database.query<{ version: string }>(
        'select version from supabase_migrations.schema_migrations order by 1',
      );
      expect(shipped.length).toBeGreaterThan(0);
      expect(applied.rows.map((r) => r.version)).toEqual(shipped);
      const run = runner(home);
      const who = run(agentlogs, ['whoami'], extra);
      expect(who.code, who.stderr).toBe(0);
      expect(who.stdout).toContain('octocat');
      const status = run(agentlogs, ['sync', 'status', '--json'], extra);
      expect(JSON.parse(status.stdout).pending_total).toBe(0);
      const local = JSON.parse(run(agentlogs, ['stats', '--json'], extra).stdout) as {
        totals: { sessions: number };
      };
      const server = await database.query<{ n: number }>('select count(*)::int as n from public.sessions');
      expect(server.rows[0]?.n).toBe(local.totals.sessions);
    } finally {
      await database.end();
      await standIn.close();
    }
  } finally {
    await cluster.stop();
  }
}

describe('the packed files run', () => {
  it('unpacked into an empty node_modules beside better-sqlite3 and open: the CLI and the sync-core example', () => {
    const prefix = path.join(work, 'unpacked');
    const modules = path.join(prefix, 'node_modules');
    mkdirSync(path.join(modules, '@agentlogs'), { recursive: true });
    renameSync(cli.unpacked, path.join(modules, '@agentlogs', 'cli'));
    renameSync(syncCore.unpacked, path.join(modules, '@agentlogs', 'sync-core'));
    cli.unpacked = path.join(modules, '@agentlogs', 'cli');
    syncCore.unpacked = path.join(modules, '@agentlogs', 'sync-core');
    // The runtime dependencies as the workspace installed them (their own dependencies resolve from there).
    for (const dep of Object.keys(cli.manifest.dependencies ?? {}))
      symlinkSync(realpathSync(path.join(cliRoot, 'node_modules', dep)), path.join(modules, dep), 'dir');

    exercise(prefix, path.join(cli.unpacked, cli.manifest.bin!.agentlogs!));
    exerciseSyncCore(syncCore.unpacked, path.join(prefix, 'home'));
  }, 120_000);

  it('unpacked: setup --yes puts the schema it carries on an empty project, logs in and syncs', async () => {
    // The previous test moved the unpacked CLI into its node_modules.
    expect(cli.unpacked).toContain(path.join('unpacked', 'node_modules'));
    await setUpFromPackage(
      path.join(work, 'unpacked'),
      path.join(cli.unpacked, cli.manifest.bin!.agentlogs!),
    );
  }, 240_000);

  it.runIf(INSTALL)(
    'installed with npm i -g into an empty prefix: the agentlogs binary npm links, setup on an empty project, the sync-core example',
    async () => {
      const prefix = path.join(work, 'installed');
      mkdirSync(prefix);
      const install = spawnSync(
        'npm',
        ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', cli.tarball, syncCore.tarball],
        { cwd: prefix, encoding: 'utf8', timeout: 900_000 },
      );
      expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
      // Where `npm i -g` puts them on Linux and macOS: <prefix>/bin and <prefix>/lib/node_modules.
      const bin = path.join(prefix, 'bin', 'agentlogs');
      const modules = path.join(prefix, 'lib', 'node_modules');
      exercise(prefix, bin);
      // The binary is the installed package's, not a file of this repository.
      expect(realpathSync(bin).startsWith(path.join(realpathSync(prefix), 'lib', 'node_modules'))).toBe(true);
      await setUpFromPackage(prefix, bin);
      exerciseSyncCore(path.join(modules, '@agentlogs', 'sync-core'), path.join(prefix, 'home'));
    },
    1_200_000,
  );
});
