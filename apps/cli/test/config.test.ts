import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const homes: string[] = [];
const anonKey = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLW9mLXRoZS1rZXk';

afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'agentlogs-config-'));
  homes.push(home);
  return home;
}

function cli(home: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, HOME: home, AGENTLOGS_HOME: home, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Listing {
  profile: string;
  file: string;
  settings: Array<{ key: string; value: string | null; source: string | null; env: string; secret: boolean }>;
}

function list(home: string, args: string[] = [], env: Record<string, string> = {}): Listing {
  const result = cli(home, ['config', 'list', '--json', ...args], env);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Listing;
}

const setting = (listing: Listing, key: string) => listing.settings.find((s) => s.key === key);

describe('agentlogs config', { timeout: 60_000 }, () => {
  it('stores values per profile in a private file; env beats profile beats defaults', () => {
    const home = newHome();
    expect(cli(home, ['config', 'set', 'supabase.url', 'https://abcd.supabase.co/']).code).toBe(0);
    expect(cli(home, ['config', 'set', 'supabase.anon_key', anonKey]).code).toBe(0);
    expect(cli(home, ['config', 'get', 'supabase.url']).stdout).toBe('https://abcd.supabase.co\n');

    const stored = list(home);
    expect(stored.profile).toBe('default');
    expect(setting(stored, 'supabase.url')).toMatchObject({
      value: 'https://abcd.supabase.co',
      source: 'profile',
    });
    expect(setting(stored, 'machine.name')).toMatchObject({ value: hostname(), source: 'default' });
    expect(statSync(path.join(home, 'config.json')).mode & 0o777).toBe(0o600);

    const overridden = list(home, [], {
      AGENTLOGS_SUPABASE_URL: 'https://other.supabase.co',
      AGENTLOGS_MACHINE_NAME: 'ci',
    });
    expect(setting(overridden, 'supabase.url')).toMatchObject({
      value: 'https://other.supabase.co',
      source: 'env',
    });
    expect(setting(overridden, 'machine.name')).toMatchObject({ value: 'ci', source: 'env' });
    expect(setting(overridden, 'supabase.anon_key')?.source).toBe('profile');

    const text = cli(home, ['config', 'list'], { AGENTLOGS_SUPABASE_URL: 'https://other.supabase.co' });
    expect(text.stdout).toMatch(
      /supabase\.url\s+https:\/\/other\.supabase\.co\s+\(env AGENTLOGS_SUPABASE_URL\)/,
    );
    expect(text.stdout).toMatch(/supabase\.anon_key\s+eyJh…\(\d+ chars\)\s+\(profile\)/);

    const noted = cli(home, ['config', 'set', 'supabase.url', 'https://x.supabase.co'], {
      AGENTLOGS_SUPABASE_URL: 'https://other.supabase.co',
    });
    expect(noted.stderr).toContain('AGENTLOGS_SUPABASE_URL is set in the environment and takes precedence');
  });

  it('keeps each profile apart', () => {
    const home = newHome();
    cli(home, ['config', 'set', 'supabase.url', 'https://home.supabase.co']);
    cli(home, ['--profile', 'work', 'config', 'set', 'supabase.url', 'https://work.supabase.co']);
    expect(setting(list(home), 'supabase.url')?.value).toBe('https://home.supabase.co');
    const work = list(home, ['--profile', 'work']);
    expect(work.file).toBe(path.join(home, 'profiles', 'work', 'config.json'));
    expect(setting(work, 'supabase.url')?.value).toBe('https://work.supabase.co');
    const byEnv = list(home, [], { AGENTLOGS_PROFILE: 'work' });
    expect(setting(byEnv, 'supabase.url')?.value).toBe('https://work.supabase.co');
  });

  it('masks secrets everywhere unless --reveal is asked for', () => {
    const home = newHome();
    const set = cli(home, ['config', 'set', 'supabase.anon_key', anonKey]);
    const get = cli(home, ['config', 'get', 'supabase.anon_key']);
    const listed = cli(home, ['config', 'list']);
    const json = cli(home, ['config', 'list', '--json']);
    for (const out of [set, get, listed, json])
      expect(out.stdout + out.stderr).not.toContain(anonKey.slice(8));
    expect(cli(home, ['config', 'get', 'supabase.anon_key', '--reveal']).stdout).toBe(`${anonKey}\n`);
    const fromEnv = cli(home, ['config', 'list'], { AGENTLOGS_SUPABASE_ANON_KEY: `${anonKey}x` });
    expect(fromEnv.stdout).not.toContain(anonKey.slice(8));
  });

  it('unsets values and reports unknown or invalid ones in one line', () => {
    const home = newHome();
    cli(home, ['config', 'set', 'machine.name', 'desk']);
    expect(cli(home, ['config', 'get', 'machine.name']).stdout).toBe('desk\n');
    expect(cli(home, ['config', 'unset', 'machine.name']).stdout).toContain('machine.name removed');
    expect(cli(home, ['config', 'get', 'machine.name']).stdout).toBe(`${hostname()}\n`);
    expect(cli(home, ['config', 'unset', 'machine.name']).stdout).toContain('was not set');

    const missing = cli(home, ['config', 'get', 'supabase.url']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('agentlogs config get: supabase.url is not set (profile default)\n');

    const unknown = cli(home, ['config', 'set', 'supabase.password', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('agentlogs config set: unknown setting "supabase.password"');

    const badUrl = cli(home, ['config', 'set', 'supabase.url', 'not a url']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr.split('\n')[0]).toBe('agentlogs config set: "not a url" is not a URL');
    const ftp = cli(home, ['config', 'set', 'supabase.url', 'ftp://abcd.supabase.co']);
    expect(ftp.code).toBe(2);

    expect(cli(home, ['config']).code).toBe(2);
    expect(cli(home, ['config', 'frobnicate']).stderr).toContain('unknown subcommand "config frobnicate"');
  });

  it('the machine name set in the profile is the one import records', () => {
    const home = newHome();
    const projects = path.join(home, 'claude', 'projects', 'demo');
    mkdirSync(projects, { recursive: true });
    writeFileSync(
      path.join(projects, 's.jsonl'),
      `${JSON.stringify({
        type: 'assistant',
        sessionId: 's-1',
        uuid: 'u-1',
        timestamp: '2026-01-01T00:00:00.000Z',
        cwd: '/w',
        requestId: 'r-1',
        message: {
          id: 'm-1',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          usage: { input_tokens: 3, output_tokens: 4 },
        },
      })}\n`,
    );
    expect(cli(home, ['config', 'set', 'machine.name', 'desk']).code).toBe(0);
    expect(cli(home, ['import', '--claude-dir', path.join(home, 'claude')]).code).toBe(0);
    const stats = cli(home, ['stats', '--by', 'machine', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    expect((JSON.parse(stats.stdout) as { rows: { key: string }[] }).rows.map((r) => r.key)).toEqual([
      'desk',
    ]);
    expect(cli(home, ['config', 'unset', 'machine.name']).stdout).toBe(
      'machine.name removed (profile default)\n',
    );
    expect(setting(list(home), 'machine.name')).toMatchObject({ value: hostname(), source: 'default' });
  });

  it('turns a corrupt configuration file into a one-line error that says what to do', () => {
    const home = newHome();
    cli(home, ['config', 'set', 'machine.name', 'desk']);
    const file = path.join(home, 'config.json');
    writeFileSync(file, '{"machine.name": "desk",');
    // Writing over a file that cannot be read is refused; reading it (`config list`) warns in one line.
    const result = cli(home, ['config', 'set', 'machine.name', 'other']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `agentlogs config set: the file ${file} is not valid JSON\n` +
        "  hint: fix it by hand, or delete it and set the values again with 'agentlogs config set'\n",
    );
    const listed = cli(home, ['config', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe(
      `agentlogs: warning: the file ${file} is not valid JSON; its settings are ignored ` +
        "(fix it by hand, or delete it and set the values again with 'agentlogs config set')\n",
    );
    // Nothing was overwritten.
    expect(readFileSync(file, 'utf8')).toBe('{"machine.name": "desk",');

    const login = cli(home, ['whoami']);
    expect(login.code).toBe(3);
    expect(login.stderr).toContain('is not valid JSON');
  });

  it('turns a corrupt credentials file into a one-line error that says what to do', () => {
    const home = newHome();
    cli(home, ['config', 'set', 'supabase.url', 'https://abcd.supabase.co']);
    cli(home, ['config', 'set', 'supabase.anon_key', anonKey]);
    expect(cli(home, ['whoami']).code).toBe(1);
    const file = path.join(home, 'credentials', 'session.json');
    writeFileSync(file, 'garbage');
    const result = cli(home, ['whoami']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`agentlogs whoami: the file ${file} is not valid JSON`);
    expect(result.stderr).toContain("hint: delete it and run 'agentlogs login' again");
  });
});
