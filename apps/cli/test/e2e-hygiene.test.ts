/**
 * The CLI under bad input, through the built binary: https beyond this machine, profile names from every source,
 * private files, the login callback's state nonce and Host check, control characters in printed data, what
 * `logout` claims, which session a revoked one removes, and network failures named in seconds.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import {
  AuthStandIn,
  findAuthorizeUrl,
  freePort,
  playBrowserLogin,
  startTestBackend,
  type TestBackend,
} from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore } from '../src/config.js';
import { ingestFixtures, Machine, removeTemps, tempDir } from './e2e-harness.js';

const PUBLISHABLE = 'sb_publishable_abcdefghijklmnopqrstuvwx';
/** ESC, BEL, CSI and the other controls no printed line may carry (tab and newline aside). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what the test looks for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let backend: TestBackend;
let auth: AuthStandIn;

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  removeTemps();
});

const mode = (file: string) => statSync(file).mode & 0o777;

/** A machine that talks to `url` with a well-formed key (no server needed for what it is asked). */
function offline(name: string, url = 'https://abcd.supabase.co'): Machine {
  return new Machine(name, url, PUBLISHABLE);
}

/** The git-commit fixture with escape sequences planted in the commit subject and the project path. */
function hostileTree(): string {
  const source = readFileSync(path.join(ingestFixtures, 'git-commit-session.jsonl'), 'utf8')
    .replaceAll('Add config parser', 'Add \\u001b]0;pwned\\u0007\\u001b[2Jconfig\\u009b31m parser')
    .replaceAll('/home/dev/work/parser-demo', '/home/dev/work/\\u001b[31mparser\\u0007-demo');
  const root = tempDir('claude-hostile');
  mkdirSync(path.join(root, 'projects', 'parser'), { recursive: true });
  writeFileSync(path.join(root, 'projects', 'parser', 'session.jsonl'), source);
  return path.join(root, 'projects');
}

/** A GET to the login's loopback server with the Host header given. */
function getWithHost(url: string, host: string): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: target.port, path: `${target.pathname}${target.search}`, headers: { host } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Starts `login --no-browser` and returns it with its authorize URL and the callback address it waits on. */
async function startLogin(m: Machine) {
  const cli = m.spawn(['login', '--no-browser', '--timeout', '60']);
  cli.child.stdin.end();
  let authorize: string | undefined;
  for (let i = 0; i < 600 && !authorize && cli.child.exitCode === null; i++) {
    authorize = findAuthorizeUrl(cli.stderr());
    if (!authorize) await new Promise((r) => setTimeout(r, 50));
  }
  if (!authorize) throw new Error(`no authorize URL printed: ${cli.stderr()}`);
  const callback = new URL(authorize).searchParams.get('redirect_to') ?? '';
  return { cli, authorize, callback };
}

describe('settings and files', { timeout: 60_000 }, () => {
  it('an http:// project URL is refused beyond loopback unless supabase.allow_http is set', async () => {
    const m = offline('http-check');
    const set = await m.run(['config', 'set', 'supabase.url', 'http://sync.example.com']);
    expect(set.code).toBe(2);
    expect(set.stderr.split('\n')[0]).toBe(
      'agentlogs config set: the project URL must use https:// (http:// only for 127.0.0.1, ::1 or localhost), got http://sync.example.com',
    );
    expect(set.stderr).toContain('supabase.allow_http true');
    for (const loopback of ['http://127.0.0.1:54321', 'http://localhost:54321', 'http://[::1]:54321']) {
      expect((await m.run(['config', 'set', 'supabase.url', loopback])).code, loopback).toBe(0);
    }
    // From the environment, the URL is checked when read: exit 3, naming the variable.
    const fromEnv = await m.run(['whoami'], { AGENTLOGS_SUPABASE_URL: 'http://10.0.0.5:8000' });
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.stderr.split('\n')[0]).toBe(
      'agentlogs whoami: AGENTLOGS_SUPABASE_URL: the project URL must use https:// (http:// only for 127.0.0.1, ::1 or localhost), got http://10.0.0.5:8000',
    );
    // The explicit setting lets a private network through, stored or from the environment.
    await m.ok(['config', 'set', 'supabase.allow_http', 'true']);
    expect((await m.run(['config', 'set', 'supabase.url', 'http://10.0.0.5:8000'])).code).toBe(0);
    const allowed = await m.run(['whoami'], { AGENTLOGS_SUPABASE_URL: 'http://10.0.0.5:8000' });
    expect(allowed.stderr).not.toContain('must use https');
    expect((await m.run(['config', 'set', 'supabase.allow_http', 'maybe'])).code).toBe(2);
  });

  it('a profile name that is no plain word is refused from --profile and AGENTLOGS_PROFILE alike; nothing is written', async () => {
    const m = offline('profiles');
    const outside = path.join(m.home, '..', `escaped-${path.basename(m.home)}`);
    const fromEnv = (name: string) => ({ AGENTLOGS_PROFILE: name });
    for (const [args, env, wanted] of [
      [['-p', '../../x', 'stats'], {}, '"../../x"'],
      [['--profile=a/b', 'stats'], {}, '"a/b"'],
      [['stats'], fromEnv('../../../x'), '"../../../x" in AGENTLOGS_PROFILE'],
      [
        ['import', '--claude-dir', m.home],
        fromEnv(`../${path.basename(outside)}`),
        `"../${path.basename(outside)}" in AGENTLOGS_PROFILE`,
      ],
      [['stats'], fromEnv('x'.repeat(65)), `"${'x'.repeat(65)}" in AGENTLOGS_PROFILE`],
    ] as [string[], Record<string, string>, string][]) {
      const r = await m.run(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      const [first, ...rest] = r.stderr.trimEnd().split('\n');
      expect(first).toMatch(/^agentlogs \w+: invalid profile name /);
      expect(first).toContain(`invalid profile name ${wanted}: use letters, digits, - and _`);
      expect(rest).toHaveLength(1);
    }
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(path.join(m.home, 'profiles'))).toBe(false);
    // A valid name still works from the environment.
    expect((await m.run(['stats'], { AGENTLOGS_PROFILE: 'work_2' })).code).toBe(0);
  });

  it('the data folder is created 0700; the database, its -wal and -shm, the settings and the session 0600, also when they were looser', async () => {
    const m = offline('modes');
    const data = path.join(m.home, 'fresh', 'agentlogs');
    const env = { AGENTLOGS_HOME: data };
    await m.ok(['import', '--claude-dir', hostileTree()], env);
    await m.ok(['config', 'set', 'machine.name', 'modes'], env);
    expect(mode(data)).toBe(0o700);
    expect(mode(path.join(m.home, 'fresh'))).toBe(0o700);
    const db = path.join(data, 'agentlogs.db');
    const files = [db, `${db}-wal`, `${db}-shm`, path.join(data, 'config.json')].filter((f) => existsSync(f));
    expect(files).toContain(db);
    for (const file of files) expect(mode(file), file).toBe(0o600);

    // Loosened by hand (or by an earlier version): the next run tightens them again.
    const session = new CredentialStore({ home: data, profile: 'default' });
    session.setItem('agentlogs-session:https://abcd.supabase.co', '{}');
    for (const file of [...files, session.path]) chmodSync(file, 0o644);
    await m.ok(['import', '--claude-dir', hostileTree()], env);
    await m.ok(['config', 'list'], env);
    await m.run(['logout'], { ...env, AGENTLOGS_SUPABASE_URL: 'https://other.supabase.co' });
    for (const file of [...files.filter((f) => existsSync(f)), session.path])
      expect(mode(file), file).toBe(0o600);
  });

  it('titles, project paths and names from transcripts are printed without control characters', async () => {
    const m = new Machine('hostile', 'https://abcd.supabase.co', PUBLISHABLE, {
      AGENTLOGS_MACHINE_NAME: 'desk\u001b[31m-red',
    });
    await m.ok(['import', '--claude-dir', hostileTree()]);
    const list = await m.ok(['commits', 'list']);
    expect(list.stdout).toContain('Add ]0;pwned[2Jconfig31m parser');
    const id = (
      JSON.parse((await m.ok(['commits', 'list', '--json'])).stdout) as { id: string; title: string }[]
    ).find((c) => c.title?.includes('parser'))?.id;
    expect(id).toBeDefined();
    const show = await m.ok(['commits', 'show', id as string]);
    const byProject = await m.ok(['stats', '--by', 'project']);
    const machines = await m.ok(['machines']);
    for (const out of [list, show, byProject, machines]) {
      expect(out.stdout).not.toMatch(CONTROL);
      expect(out.stderr).not.toMatch(CONTROL);
    }
    expect(show.stdout).toContain(']0;pwned');
    expect(byProject.stdout).toContain('[31mparser-demo');
    // --json keeps the data as it is (JSON escapes control characters itself).
    expect((await m.ok(['commits', 'show', id as string, '--json'])).stdout).toContain('\\u001b]0;pwned');
  });
});

describe('network failures in words, in seconds', { timeout: 60_000 }, () => {
  /** A machine with a stored session for `url`, so push, pull and sync go as far as the network. */
  function loggedInTo(name: string, url: string): Machine {
    const m = offline(name, url);
    const session = JSON.stringify({
      access_token: 'a.b.c',
      refresh_token: 'r',
      token_type: 'bearer',
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      user: { id: '00000000-0000-4000-8000-000000000001', user_metadata: { user_name: 'octocat' } },
    });
    new CredentialStore({ home: m.home, profile: 'default' }).setItem(
      `agentlogs-session:${new URL(url).origin}`,
      session,
    );
    return m;
  }

  async function expectNamed(m: Machine, url: string, cause: RegExp): Promise<void> {
    for (const command of ['push', 'pull', 'sync', 'login']) {
      const started = Date.now();
      const r = await m.run(command === 'login' ? ['login', '--no-browser'] : [command]);
      expect(Date.now() - started, command).toBeLessThan(8_000);
      expect(r.code, `${command}: ${r.stderr}`).toBe(5);
      const first = r.stderr.split('\n')[0] ?? '';
      const host = url.replace(/[.[\]]/g, '\\$&');
      expect(first).toMatch(
        new RegExp(
          command === 'login'
            ? `^agentlogs login: cannot reach ${host}: `
            : `^agentlogs ${command}: ${host} could not be reached: `,
        ),
      );
      expect(first).toMatch(cause);
      expect(r.stderr).not.toContain('retrying in');
    }
    const who = await m.run(['whoami']);
    expect(who.code).toBe(0);
    expect(who.stderr).toContain(`warning: cannot reach ${url}: `);
    expect(who.stderr).toMatch(cause);
  }

  it('a refused port: connection refused', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await expectNamed(loggedInTo('refused', url), url, /ECONNREFUSED \(connection refused\)/);
  });

  it('a host name that does not resolve: DNS', async () => {
    const url = 'https://agentlogs-test.invalid';
    await expectNamed(
      loggedInTo('dns', url),
      url,
      /(ENOTFOUND|EAI_AGAIN) \((host name not found in DNS|DNS lookup failed)/,
    );
  });

  it('https to a server that does not speak TLS: TLS error', async () => {
    const server: Server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await expectNamed(loggedInTo('tls', url), url, /TLS error/);
    } finally {
      server.close();
    }
  });

  it('a server that accepts but never answers: a timeout within seconds', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const m = loggedInTo('silent', url);
    try {
      const started = Date.now();
      const r = await m.run(['push']);
      expect(Date.now() - started).toBeLessThan(9_000);
      expect(r.code).toBe(5);
      expect(r.stderr.split('\n')[0]).toBe(
        `agentlogs push: ${url} could not be reached: no answer within 5 s (timeout)`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});

describe('login, logout and sessions against the stand-in', { timeout: 60_000 }, () => {
  it('the callback server refuses another Host and a missing or wrong state, then takes the real callback', async () => {
    const m = new Machine('nonce', backend.url, backend.anonKey);
    const { cli, authorize, callback } = await startLogin(m);
    const target = new URL(callback);
    expect(target.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const host = `127.0.0.1:${target.port}`;
    const base = `http://${host}/callback`;
    expect(await getWithHost(`${base}?code=forged`, host)).toBe(400);
    expect(await getWithHost(`${base}?state=guessed&code=forged`, host)).toBe(400);
    expect(await getWithHost(`${base}?state=guessed&error=access_denied`, host)).toBe(400);
    expect(await getWithHost(`${callback}&code=forged`, `attacker.example:${target.port}`)).toBe(421);
    expect(await getWithHost(`${callback}&code=forged`, `localhost:${target.port}`)).toBe(421);
    expect(cli.child.exitCode).toBeNull();
    await playBrowserLogin(authorize);
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Logged in to');
  });

  it("prints the server's error_description without control characters, on one line", async () => {
    const m = new Machine('described', backend.url, backend.anonKey);
    const { cli, callback } = await startLogin(m);
    const description = encodeURIComponent('bad\u001b]0;pwned\u0007\u001b[31m red\n  hint: run rm -rf');
    const status = await getWithHost(
      `${callback}&error=server_error&error_description=${description}`,
      new URL(callback).host,
    );
    expect(status).toBe(400);
    const done = await cli.done;
    expect(done.code).toBe(4);
    expect(done.stderr).not.toMatch(CONTROL);
    expect(done.stderr).toContain('agentlogs login: login failed: bad]0;pwned[31m red   hint: run rm -rf');
    expect(done.stderr).not.toMatch(/^\s*hint: run rm/m);
  });

  it('logout claims only what the server confirmed', async () => {
    const account = { id: 7001, login: 'twice', email: 'twice@github.example' };
    const a = new Machine('logout-a', backend.url, backend.anonKey);
    const b = new Machine('logout-b', backend.url, backend.anonKey);
    await a.loginAs(auth, account);
    await b.loginAs(auth, account);
    const first = await b.ok(['logout']);
    expect(first.stdout).toContain('every session of this account was signed out');
    // a's session ended with b's global sign-out: the server no longer confirms anything for it.
    const second = await a.run(['logout']);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('every session of this account was signed out');
    expect(second.stdout).toContain('the server had already ended this session');
    // Unreachable: signed out locally, and said so.
    const c = new Machine('logout-c', backend.url, backend.anonKey);
    await c.loginAs(auth, account);
    const down = `http://127.0.0.1:${await freePort()}`;
    const session = new CredentialStore({ home: c.home, profile: 'default' });
    session.setItem(
      `agentlogs-session:${down}`,
      session.getItem(`agentlogs-session:${new URL(backend.url).origin}`) as string,
    );
    const offlineLogout = await c.run(['logout'], { AGENTLOGS_SUPABASE_URL: down });
    expect(offlineLogout.stderr).toContain('Signed out locally; the server could not be reached');
    expect(offlineLogout.stdout).not.toContain('every session');
  });

  it("a revoked session removes only that project's entry, and only while it holds the failing token", async () => {
    const account = { id: 7002, login: 'two-projects', email: 'two@github.example' };
    const m = new Machine('two-projects', backend.url, backend.anonKey);
    await m.loginAs(auth, account);
    const store = new CredentialStore({ home: m.home, profile: 'default' });
    const here = `agentlogs-session:${new URL(backend.url).origin}`;
    const elsewhere = 'agentlogs-session:https://another-project.supabase.co';
    store.setItem(elsewhere, '{"access_token":"kept"}');
    // Every session of the account ends (another machine signs out everywhere).
    const other = new Machine('revoker', backend.url, backend.anonKey);
    await other.loginAs(auth, account);
    await other.ok(['logout']);
    const who = await m.run(['whoami']);
    expect(who.code).toBe(1);
    expect(who.stderr).toContain('revoked or has expired');
    const after = new CredentialStore({ home: m.home, profile: 'default' });
    expect(after.getItem(here)).toBeNull();
    expect(after.getItem(elsewhere)).toBe('{"access_token":"kept"}');

    // Two processes: one read the session that failed, the other logged in meanwhile and wrote a new one.
    const failing = new CredentialStore({ home: m.home, profile: 'default' });
    failing.setItem(here, '{"access_token":"old"}');
    expect(failing.getItem(here)).toBe('{"access_token":"old"}');
    const loggingIn = new CredentialStore({ home: m.home, profile: 'default' });
    loggingIn.setItem(here, '{"access_token":"new"}');
    expect(failing.removeUnlessNewer(here)).toBe(false);
    expect(new CredentialStore({ home: m.home, profile: 'default' }).getItem(here)).toBe(
      '{"access_token":"new"}',
    );
    // Without a newer write, the failing entry goes.
    expect(loggingIn.forgetSession(here)).toBe(true);
    expect(new CredentialStore({ home: m.home, profile: 'default' }).getItem(elsewhere)).toBe(
      '{"access_token":"kept"}',
    );
  });
});
