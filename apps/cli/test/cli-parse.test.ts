import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closest, parseCommandArgs } from '../src/args.js';
import { commandSpec } from '../src/command.js';
import { commandGroups, commandTable, specs } from '../src/commands/index.js';
import { DOC_TOPICS } from '../src/docs.js';
import { EXIT_CODE_MEANINGS, ExitCode } from '../src/errors.js';
import { main } from '../src/main.js';
import { CONFIG_KEYS } from '../src/settings.js';
import { renderTable } from '../src/table.js';
import { version } from '../src/version.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** Runs `agentlogs …` in this process, with its own data directory, and returns what it printed. */
async function run(args: string[]) {
  const home = mkdtempSync(path.join(tmpdir(), 'agentlogs-parse-'));
  temps.push(home);
  const out: string[] = [];
  const err: string[] = [];
  const stdout = { write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WritableStream;
  const stderr = { write: (s: string) => err.push(s) > 0 } as unknown as NodeJS.WritableStream;
  const controller = new AbortController();
  const code = await main(args, {
    stdout,
    stderr,
    env: { AGENTLOGS_HOME: home, TZ: 'UTC' },
    signal: controller.signal,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('usage errors', () => {
  it('have one style: `agentlogs <cmd>: what is wrong`, then where the usage is, exit 2', async () => {
    const cases: [string[], string, string][] = [
      [['stats', '--by'], 'stats', '--by needs a value'],
      [['stats', '--since', '--json'], 'stats', '--since needs a value'],
      [['stats', '--jsn'], 'stats', 'unknown option "--jsn" (did you mean "--json"?)'],
      [['stats', '-json'], 'stats', 'unknown option "-json" (did you mean "--json"?)'],
      [['stats', '-x'], 'stats', 'unknown option "-x"'],
      [['import', '--json=yes'], 'import', '--json takes no value'],
      [['machines', 'extra'], 'machines', 'unexpected argument "extra"'],
      [['sync', 'status', '--limit', '3'], 'sync status', 'unknown option "--limit"'],
      [['stats', '--profile'], 'stats', '--profile needs a profile name'],
      [['stats', '-p', 'no/such'], 'stats', 'invalid profile name "no/such": use letters, digits, - and _'],
      // Thrown by the command itself, after parsing: the same shape.
      [
        ['stats', '--by', 'week'],
        'stats',
        '--by must be one of day, month, model, project, session, machine, agent, block; got "week"',
      ],
    ];
    for (const [args, scope, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.usage);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`agentlogs ${scope}: ${message}\nRun 'agentlogs ${scope} --help' for usage.\n`);
    }
  });

  it('unknown commands and subcommands say which one was meant', async () => {
    const cases: [string[], string][] = [
      [['comits'], 'agentlogs: unknown command "comits" (did you mean "commits"?)'],
      [['imprt'], 'agentlogs: unknown command "imprt" (did you mean "import"?)'],
      [['machine'], 'agentlogs: unknown command "machine" (did you mean "machines"?)'],
      [['pending'], 'agentlogs: unknown command "pending" (did you mean "sync pending"?)'],
      [['frobnicate'], 'agentlogs: unknown command "frobnicate"'],
      [['--verison'], 'agentlogs: unknown option "--verison" (did you mean "--version"?)'],
      [
        ['commits', 'lst'],
        'agentlogs commits: unknown subcommand "commits lst" (did you mean "commits list"?)',
      ],
      [['sync', 'stauts'], 'agentlogs sync: unknown subcommand "sync stauts" (did you mean "sync status"?)'],
      [
        ['config', 'lsit'],
        'agentlogs config: unknown subcommand "config lsit" (did you mean "config list"?)',
      ],
    ];
    for (const [args, first] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.usage);
      const [line, where, ...more] = r.stderr.split('\n');
      expect(line).toBe(first);
      expect(where).toMatch(/^Run 'agentlogs( commits| sync| config)? --help' for usage\.$/);
      expect(more).toEqual(['']);
    }
  });

  it('suggests only what is close', () => {
    const names = ['import', 'stats', 'login', 'logout', 'commits'];
    expect(closest('stat', names)).toBe('stats');
    expect(closest('lgout', names)).toBe('logout');
    expect(closest('log', names)).toBeUndefined(); // a prefix of two commands
    expect(closest('zzz', names)).toBeUndefined();
    expect(closest('--jason', ['--json', '--since'])).toBe('--json');
  });
});

describe('help', () => {
  it('a group shows its subcommands: `commits --help` and `help commits` on stdout, bare `commits` as a usage error', async () => {
    for (const group of commandGroups) {
      const subs = commandTable.filter((e) => e.name.startsWith(`${group.name} `));
      expect(subs.length, group.name).toBeGreaterThan(1);
      const asked = await run([group.name, '--help']);
      expect(asked.code).toBe(0);
      expect(await run(['help', group.name])).toEqual(asked);
      expect(await run([group.name, '-h'])).toEqual(asked);
      for (const sub of subs) expect(asked.stdout).toContain(`  ${sub.name}  `);
      expect(asked.stdout).toContain(`agentlogs ${group.name}`);
    }
    const bare = await run(['commits']);
    expect(bare.code).toBe(ExitCode.usage);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toBe((await run(['commits', '--help'])).stdout);
  });

  it('a command shows its usage and options; `sync --help` also lists `sync status` and the others', async () => {
    const stats = await run(['stats', '--help']);
    expect(stats.code).toBe(0);
    expect(stats.stdout.startsWith(`Usage: agentlogs ${specs.stats.usage}\n`)).toBe(true);
    expect(stats.stdout).toContain('-s, --since DATE');
    expect(await run(['help', 'stats'])).toEqual(stats);
    expect(await run(['stats', '--by', 'day', '-h'])).toEqual(stats);
    const sync = await run(['sync', '--help']);
    for (const name of ['sync status', 'sync pending', 'sync reset'])
      expect(sync.stdout).toContain(`  ${name}  `);
  });

  it('prints the exit codes, as docs/cli.md lists them', async () => {
    const r = await run(['help', 'exit-codes']);
    expect(r.code).toBe(0);
    const cli = readFileSync(path.join(here, '..', '..', '..', 'docs', 'cli.md'), 'utf8');
    const codes = Object.values(ExitCode).sort((a, b) => a - b);
    expect(EXIT_CODE_MEANINGS.map(([code]) => code).sort((a, b) => a - b)).toEqual(codes);
    for (const [code, meaning] of EXIT_CODE_MEANINGS) {
      expect(r.stdout).toMatch(
        new RegExp(`^ +${code}  ${meaning.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      );
      expect(cli).toContain(`| ${code} | ${meaning} |`);
    }
  });

  it('points at the docs the CLI carries, never at a path in the repository or a web address', async () => {
    const texts = [
      (await run(['--help'])).stdout,
      (await run(['help', 'exit-codes'])).stdout,
      ...commandTable.map((e) => `${e.spec.usage}\n${e.spec.help ?? ''}`),
      ...commandGroups.map((g) => g.help ?? ''),
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/(^|[\s(])(\.\/)?docs\/[\w-]+\.md/);
      expect(text).not.toContain('github.com/');
      // Every `agentlogs help <topic>` a text names is a topic that prints.
      for (const m of text.matchAll(/'agentlogs help ([\w-]+)'/g))
        expect(Object.keys(DOC_TOPICS), m[0]).toContain(m[1]);
    }
    expect(specs.login.help).toContain("'agentlogs help login'");
    expect(specs.sync.help).toContain("'agentlogs help sync-service'");
  });

  it('`agentlogs help` lists the topics; `agentlogs help <topic>` prints the doc as written', async () => {
    const index = await run(['help']);
    expect(index.code).toBe(0);
    for (const topic of [...Object.keys(DOC_TOPICS), 'exit-codes'])
      expect(index.stdout).toMatch(new RegExp(`^  ${topic}  +\\S`, 'm'));
    const files: Record<keyof typeof DOC_TOPICS, string> = {
      cli: 'docs/cli.md',
      login: 'docs/login.md',
      supabase: 'supabase/README.md',
      'sync-service': 'docs/sync-service.md',
    };
    for (const [topic, file] of Object.entries(files)) {
      const r = await run(['help', topic]);
      expect(r.code, topic).toBe(0);
      expect(r.stderr).toBe('');
      const doc = readFileSync(path.join(here, '..', '..', '..', file), 'utf8');
      expect(r.stdout).toBe(`${doc.trimEnd()}\n`);
    }
    // A name that is no topic nor command: a usage error that suggests the nearest topic.
    const typo = await run(['help', 'sync-servce']);
    expect(typo.code).toBe(ExitCode.usage);
    expect(typo.stderr).toContain('sync-service');
    expect((await run(['help', 'toString'])).code).toBe(ExitCode.usage);
  });

  it('lists every setting of `config` with its environment variable', () => {
    for (const key of CONFIG_KEYS) {
      expect(specs['config list'].help).toMatch(
        new RegExp(`^  ${key.key.replace('.', '\\.')} .*\\(env ${key.env}\\)$`, 'm'),
      );
    }
  });
});

describe('short flags', () => {
  it('-j is --json, -s/-u are --since/--until, -p is --profile, -v/-V print the version', async () => {
    const long = await run(['stats', '--json', '--since', '2026-01-01', '--until', '2026-01-31']);
    expect(long.code, long.stderr).toBe(0);
    const short = await run(['stats', '-j', '-s', '2026-01-01', '-u', '2026-01-31']);
    expect(short).toEqual(long);
    expect(JSON.parse(short.stdout)).toHaveProperty('totals');
    // The short flag goes through the same checks as the long one.
    const bad = await run(['stats', '-s', '2026-1-1']);
    expect(bad.stderr.split('\n')[0]).toBe(
      'agentlogs stats: --since must be a date written YYYY-MM-DD or YYYYMMDD, got "2026-1-1"',
    );

    const profile = await run(['config', 'list', '-j', '-p', 'work']);
    expect(profile.code, profile.stderr).toBe(0);
    expect((JSON.parse(profile.stdout) as { profile: string }).profile).toBe('work');
    const before = await run(['-p', 'work', 'config', 'list', '--json']);
    expect((JSON.parse(before.stdout) as { file: string }).file).toMatch(
      /[\\/]profiles[\\/]work[\\/]config\.json$/,
    );

    for (const flag of ['-v', '-V', '--version']) expect((await run([flag])).stdout).toBe(`${version}\n`);
  });

  it('every short flag is one letter and means one option per command', () => {
    for (const { name, spec } of commandTable) {
      const shorts = Object.values(spec.options ?? {}).flatMap((o) => (o.short ? [o.short] : []));
      expect(new Set(shorts).size, name).toBe(shorts.length);
      for (const s of shorts) expect(s, name).toMatch(/^[a-zA-Z]$/);
      // -p and -h belong to every command (profile, help).
      expect(
        shorts.filter((s) => s === 'p' || s === 'h'),
        name,
      ).toEqual([]);
      if (spec.options?.json) expect(spec.options.json.short, name).toBe('j');
    }
  });
});

describe('parseCommandArgs', () => {
  const spec = commandSpec({
    name: 'demo',
    summary: 'a command for this test',
    usage: 'demo',
    options: {
      dir: { type: 'string', multiple: true },
      limit: { type: 'string', short: 'n' },
      json: { type: 'boolean', short: 'j' },
    },
    positionals: true,
  });

  it('gives typed values: switches, values, repeated values, positionals, and everything after --', () => {
    const parsed = parseCommandArgs(spec, ['-j', '--dir', 'a', '--dir=b', '-n', '5', 'x', '--', '--json']);
    const dirs: string[] | undefined = parsed.values.dir;
    const limit: string | undefined = parsed.values.limit;
    const json: boolean | undefined = parsed.values.json;
    expect({ dirs, limit, json }).toEqual({ dirs: ['a', 'b'], limit: '5', json: true });
    expect(parsed.positionals).toEqual(['x', '--json']);
    expect(parseCommandArgs(spec, ['--limit=-1']).values.limit).toBe('-1');
  });
});

describe('renderTable', () => {
  it('pads each column to its widest cell, aligns numbers right, and rules under a header', () => {
    expect(
      renderTable(
        [
          ['opus', '1,234', '$1.00'],
          ['haiku-long-name', '5', '$12.50'],
        ],
        { header: ['model', 'turns', 'cost'], align: ['left', 'right', 'right'] },
      ),
    ).toEqual([
      'model            turns    cost',
      '---------------  -----  ------',
      'opus             1,234   $1.00',
      'haiku-long-name      5  $12.50',
    ]);
    // A left-aligned last column is not padded: no line ends in spaces.
    expect(
      renderTable(
        [
          ['a', 'x'],
          ['bbb', 'yy'],
        ],
        { indent: '  ' },
      ),
    ).toEqual(['  a    x', '  bbb  yy']);
  });
});
