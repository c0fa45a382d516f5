import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signJwt } from '@agentlogs/test-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeAnonKey } from '../src/settings.js';
import { NODE_NOTICE_FILE, nodeEndOfLifeNotice } from '../src/version.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '..', '..', '..');
const bin = path.join(here, '..', 'dist', 'bin.js');
const FIXTURES = path.join(ROOT, 'fixtures', 'transcripts', 'daaain-claude-code-log');
/** A database of schema version 6, written by the earlier CLI (packages/local-store/test/fixtures/legacy/README.md). */
const OLD_DB = path.join(ROOT, 'packages', 'local-store', 'test', 'fixtures', 'legacy', 'cli-v6.db');
const ANON_JWT = signJwt({ iss: 'supabase', role: 'anon' }, 'a-project-secret');
const SERVICE_JWT = signJwt({ iss: 'supabase', role: 'service_role' }, 'a-project-secret');

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A temporary folder under /tmp that every user can enter (the unprivileged runs need to reach it). */
function temp(): string {
  const dir = mkdtempSync(path.join('/tmp', 'agentlogs-edges-'));
  chmodSync(dir, 0o755);
  temps.push(dir);
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(home: string, args: string[], env: Record<string, string> = {}, asUser?: string): Run {
  const vars = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AGENTLOGS_HOME: path.join(home, 'data'),
    TZ: 'UTC',
    ...env,
  };
  const command = asUser
    ? [
        'runuser',
        [
          '-u',
          asUser,
          '--',
          'env',
          '-i',
          ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
          process.execPath,
          bin,
          ...args,
        ],
      ]
    : [process.execPath, [bin, ...args]];
  const r = spawnSync(command[0] as string, command[1] as string[], {
    env: vars,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line (plus its hint) that names the problem, never the "this is a bug" of an unexpected error. */
function expectOneLine(r: Run, code: number, message: RegExp | string) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/this is a bug|unexpected error|at .*\.js:\d+/);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^ {2}hint: /);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
}

/** A home whose data folder holds a database imported (as this user) from the fixtures. */
function importedHome(): string {
  const home = temp();
  const claude = path.join(home, 'claude', 'projects', 'fixtures');
  mkdirSync(claude, { recursive: true });
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.jsonl')))
    copyFileSync(path.join(FIXTURES, f), path.join(claude, f));
  const imported = cli(home, ['import', '--claude-dir', path.join(home, 'claude')]);
  expect(imported.code, imported.stderr).toBe(0);
  return home;
}

/** How the tests run a command without write access: as `nobody`, when this process is root. */
const unprivileged = (() => {
  if (process.getuid?.() !== 0) return 'not running as root: cannot run the CLI as another user';
  const probe = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', ''], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? undefined : `runuser cannot run node as nobody (${probe.stderr.trim()})`;
})();

describe('a database this user cannot write', { timeout: 120_000 }, () => {
  it.skipIf(unprivileged !== undefined)(
    `is read read-only by read commands, in a read-only folder and as a read-only file${unprivileged ? ` (skipped: ${unprivileged})` : ''}`,
    () => {
      const home = importedHome();
      const expected = cli(home, ['stats', '--by', 'month', '--json']);
      expect(expected.code).toBe(0);
      const commits = cli(home, ['commits', 'list', '--json']);
      expect(commits.code).toBe(0);

      // The folder and the file belong to root (mode 755 / 644): as after `sudo agentlogs import`.
      const data = path.join(home, 'data');
      for (const f of ['', 'agentlogs.db', 'device.json']) chmodSync(path.join(data, f), f ? 0o644 : 0o755);
      const folder = cli(home, ['stats', '--by', 'month', '--json'], {}, 'nobody');
      expect(folder.code, folder.stderr).toBe(0);
      expect(JSON.parse(folder.stdout)).toEqual(JSON.parse(expected.stdout));
      expect(folder.stderr).toBe('');
      const listed = cli(home, ['commits', 'list', '--json'], {}, 'nobody');
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual(JSON.parse(commits.stdout));
      expect(cli(home, ['config', 'list'], {}, 'nobody').code).toBe(0);
      // Nothing was left behind: neither in the folder nor in the temporary copy.
      expect(readdirSync(data).sort()).toEqual(['agentlogs.db', 'device.json']);

      // A folder this user may write, holding a database file it may not.
      chmodSync(data, 0o777);
      const file = cli(home, ['stats', '--by', 'month', '--json'], {}, 'nobody');
      expect(file.code, file.stderr).toBe(0);
      expect(JSON.parse(file.stdout)).toEqual(JSON.parse(expected.stdout));

      // A command that writes says which file it cannot write and what to do.
      const importing = cli(home, ['import', '--claude-dir', path.join(home, 'claude')], {}, 'nobody');
      expectOneLine(importing, 7, /agentlogs import: .*agentlogs\.db.* cannot be written/);
    },
  );

  it.skipIf(unprivileged !== undefined)(
    'that does not exist yet or needs an upgrade: one line asking for one import with write access',
    () => {
      const home = temp();
      mkdirSync(path.join(home, 'data'));
      const missing = cli(home, ['stats'], {}, 'nobody');
      expectOneLine(missing, 7, `there is no database at ${path.join(home, 'data', 'agentlogs.db')}`);
      expect(missing.stderr).toContain("run 'agentlogs import' once as the user who owns the data folder");

      copyFileSync(OLD_DB, path.join(home, 'data', 'agentlogs.db'));
      const old = cli(home, ['stats'], {}, 'nobody');
      expectOneLine(old, 7, 'needs an upgrade, and this user cannot write it');
      expect(old.stderr).toContain("run 'agentlogs import' once");
      const machines = cli(home, ['machines', '--json'], { AGENTLOGS_SYNC_ENABLED: 'false' }, 'nobody');
      expect(machines.code).toBe(7);
      // With write access the same command upgrades it, as before.
      expect(cli(home, ['stats', '--json']).code).toBe(0);
    },
  );

  it.skipIf(unprivileged !== undefined)(
    'in a folder of another user: permission denied, naming the path',
    () => {
      const home = temp();
      const closed = path.join(home, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      const r = cli(
        home,
        ['import', '--claude-dir', home],
        { AGENTLOGS_HOME: path.join(closed, 'agentlogs') },
        'nobody',
      );
      expectOneLine(r, 7, new RegExp(`${closed}/agentlogs\\S*: permission denied`));
    },
  );
});

describe('a data directory that cannot be one', { timeout: 60_000 }, () => {
  it('AGENTLOGS_HOME at a file: not a folder, exit 7', () => {
    const home = temp();
    const file = path.join(home, 'notes.txt');
    writeFileSync(file, 'x');
    for (const command of [
      ['stats'],
      ['import', '--claude-dir', home],
      ['config', 'set', 'machine.name', 'desk'],
    ]) {
      const r = cli(home, command, { AGENTLOGS_HOME: file });
      expectOneLine(r, 7, `${file}: not a folder`);
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('AGENTLOGS_HOME under /proc: fails at once, exit 7', () => {
    const home = temp();
    for (const command of [['stats'], ['import', '--claude-dir', home]]) {
      const r = cli(home, command, { AGENTLOGS_HOME: '/proc/nope' });
      expectOneLine(r, 7, '/proc/nope: cannot be created there');
    }
  });
});

describe('a broken config.json', { timeout: 60_000 }, () => {
  const file = (home: string) => path.join(home, 'data', 'config.json');
  const broken = (content: string) => {
    const home = importedHome();
    writeFileSync(file(home), content);
    return home;
  };

  it('read commands and import work after one warning line', () => {
    for (const [content, reason] of [
      ['[1,2]', 'is not a JSON object'],
      ['{"machine.name": "desk",', 'is not valid JSON'],
    ] as const) {
      const home = broken(content);
      const warning = `agentlogs: warning: the file ${file(home)} ${reason}`;
      const stats = cli(home, ['stats', '--json']);
      expect(stats.code, stats.stderr).toBe(0);
      expect(JSON.parse(stats.stdout).totals.turns).toBeGreaterThan(0);
      const imported = cli(home, ['import', '--claude-dir', path.join(home, 'claude'), '--json']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(warning)]);
      const listed = cli(home, ['config', 'list']);
      expect(listed.code).toBe(0);
      expect(listed.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(warning)]);
      // A command that needs the project URL from it stops, saying why.
      const whoami = cli(home, ['whoami']);
      expectOneLine(whoami, 3, `the file ${file(home)} ${reason}`);
      expect(readFileSync(file(home), 'utf8')).toBe(content);
    }
  });

  it('a value of the wrong type is reported with its key, never ignored', () => {
    const home = broken(JSON.stringify({ 'supabase.url': 5, 'machine.name': ['desk'] }));
    const listed = cli(home, ['config', 'list', '--json']);
    expect(listed.code).toBe(0);
    const settings = JSON.parse(listed.stdout).settings as { key: string; problem?: string }[];
    expect(settings.find((s) => s.key === 'supabase.url')?.problem).toBe(
      `supabase.url in ${file(home)} must be a string, not a number`,
    );
    expect(listed.stderr).toContain(`machine.name in ${file(home)} must be a string, not a list`);
    const get = cli(home, ['config', 'get', 'supabase.url']);
    expectOneLine(get, 3, 'supabase.url in');
    expect(get.stderr).toContain('agentlogs config unset supabase.url');
    const whoami = cli(home, ['whoami'], { AGENTLOGS_SUPABASE_ANON_KEY: ANON_JWT });
    expectOneLine(whoami, 3, `supabase.url in ${file(home)} must be a string, not a number`);
    // import falls back to the hostname for the machine name, after saying so.
    const imported = cli(home, ['import', '--claude-dir', path.join(home, 'claude')]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('agentlogs: warning: machine.name in');
    expect(cli(home, ['config', 'unset', 'supabase.url']).code).toBe(0);
    expect(JSON.parse(readFileSync(file(home), 'utf8'))).toEqual({ 'machine.name': ['desk'] });
  });

  it('a stored anon key of the wrong shape is caught when read, without printing it', () => {
    const home = temp();
    mkdirSync(path.join(home, 'data'));
    writeFileSync(
      file(home),
      JSON.stringify({ 'supabase.url': 'https://abcd.supabase.co', 'supabase.anon_key': SERVICE_JWT }),
    );
    const r = cli(home, ['whoami']);
    expectOneLine(r, 3, 'supabase.anon_key in');
    expect(r.stderr).toContain('must never be put on a client machine');
    expect(r.stderr).not.toContain(SERVICE_JWT.split('.')[1]!);
  });
});

describe('the anon key', { timeout: 60_000 }, () => {
  it('accepts an anon JWT (as the test backend issues) and a publishable key', () => {
    expect(normalizeAnonKey(` ${ANON_JWT} `)).toBe(ANON_JWT);
    const publishable = 'sb_publishable_AbCdEfGhIjKlMnOpQrStUv_12345678';
    expect(normalizeAnonKey(publishable)).toBe(publishable);
    const home = temp();
    for (const key of [ANON_JWT, publishable]) {
      const r = cli(home, ['config', 'set', 'supabase.anon_key', key]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain(key);
    }
  });

  it('refuses a secret or service_role key, saying it must never be on a client machine', () => {
    const home = temp();
    const secret = 'sb_secret_AbCdEfGhIjKlMnOpQrStUv_12345678';
    for (const key of [SERVICE_JWT, secret]) {
      const r = cli(home, ['config', 'set', 'supabase.anon_key', key]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('must never be put on a client machine');
      expect(r.stderr).not.toContain(key.slice(12));
    }
    expect(existsSync(path.join(home, 'data', 'config.json'))).toBe(false);
  });

  it('refuses anything else at once, from the command line or the environment', () => {
    const home = temp();
    const other = signJwt({ role: 'authenticated' }, 's');
    for (const [key, message] of [
      ['abc', 'this is not a Supabase anon key'],
      ['eyJ.not-json.x', 'this JWT cannot be decoded'],
      [other, 'this JWT is not an anon key (its role is "authenticated")'],
      ['sb_publishable_x', 'this publishable key is malformed'],
    ] as const) {
      const r = cli(home, ['config', 'set', 'supabase.anon_key', key]);
      expect(r.code, key).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(
        new RegExp(`^agentlogs config set: ${message.replace(/[()]/g, '\\$&')}`),
      );
    }
    const fromEnv = cli(home, ['whoami'], {
      AGENTLOGS_SUPABASE_URL: 'http://127.0.0.1:9',
      AGENTLOGS_SUPABASE_ANON_KEY: 'abc',
    });
    expectOneLine(fromEnv, 3, 'AGENTLOGS_SUPABASE_ANON_KEY: this is not a Supabase anon key');
  });
});

describe('output and the runtime', { timeout: 60_000 }, () => {
  it('output to a closed pipe ends quietly with exit 0', async () => {
    const home = importedHome();
    const child = spawn(process.execPath, [bin, 'stats', '--by', 'session'], {
      env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: path.join(home, 'data'), TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before the first line is written (`| head -0`)
    let stderr = '';
    child.stderr.setEncoding('utf8'); // whole characters, never a UTF-8 sequence split across chunks
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('says which Node.js versions are past their end of life (pure check)', () => {
    for (const v of ['v18.19.0', 'v20.20.2', 'v21.7.3', 'v23.11.0'])
      expect(nodeEndOfLifeNotice(v)).toMatch(/past its end of life.*Node\.js 22 or 24/);
    for (const v of ['v22.12.0', 'v24.1.0', 'v26.0.0', 'nonsense'])
      expect(nodeEndOfLifeNotice(v)).toBeUndefined();
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)(
    'on a terminal, says so once a day in one line of its own; --json stays clean',
    () => {
      const home = temp();
      const data = path.join(home, 'data');
      mkdirSync(data);
      const out = path.join(home, 'out.json');
      /** Runs the CLI with stderr on a terminal (`script` gives it one) and stdout in a file. */
      const onTerminal = () => {
        const command = `'${process.execPath}' '${bin}' stats --json > '${out}'`;
        const r = spawnSync('script', ['-qec', command, '/dev/null'], {
          env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: data, TZ: 'UTC' },
          encoding: 'utf8',
        });
        expect(r.status, r.stdout).toBe(0);
        expect(JSON.parse(readFileSync(out, 'utf8')).totals.turns).toBe(0);
        return r.stdout.replace(/\r/g, '');
      };
      const expected = nodeEndOfLifeNotice(process.version);
      const first = onTerminal();
      if (!expected) {
        expect(first).toBe('');
        return;
      }
      expect(first).toBe(`${expected}\n`);
      expect(onTerminal()).toBe('');
      writeFileSync(path.join(data, NODE_NOTICE_FILE), '2000-01-01\n');
      expect(onTerminal()).toBe(`${expected}\n`);
      // A marker that cannot be written does not fail the command.
      rmSync(path.join(data, NODE_NOTICE_FILE));
      mkdirSync(path.join(data, NODE_NOTICE_FILE));
      expect(onTerminal()).toBe(`${expected}\n`);
      // Without a terminal (scripts, pipes) it says nothing.
      const piped = cli(home, ['stats', '--json'], { AGENTLOGS_HOME: data });
      expect(piped.stderr).toBe('');
    },
  );

  it('a command that loads supabase-js does not pass on its Node.js deprecation banner', () => {
    const home = temp();
    const r = cli(home, ['whoami'], {
      AGENTLOGS_SUPABASE_URL: 'http://127.0.0.1:9',
      AGENTLOGS_SUPABASE_ANON_KEY: ANON_JWT,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('agentlogs whoami: not logged in');
    expect(r.stderr).not.toMatch(/deprecated/i);
  });
});
