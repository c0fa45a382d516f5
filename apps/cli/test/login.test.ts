import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AuthStandIn,
  freePort,
  playBrowserLogin,
  signJwt,
  startTestBackend,
  type TestBackend,
} from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoggedInProject } from '../src/config.js';
import { CliError } from '../src/errors.js';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

let backend: TestBackend;
let auth: AuthStandIn;
const homes: string[] = [];
/** Everything any CLI run printed, and every token that was ever stored: checked by the last test. */
const outputs: string[] = [];
const secrets = new Set<string>();

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'agentlogs-login-'));
  homes.push(home);
  return home;
}

function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AGENTLOGS_HOME: home,
    AGENTLOGS_SUPABASE_URL: backend.url,
    AGENTLOGS_SUPABASE_ANON_KEY: backend.anonKey,
    ...extra,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8'); // whole characters, never a UTF-8 sequence split across chunks
  child.stdout.on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8'); // whole characters, never a UTF-8 sequence split across chunks
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) => {
    child.on('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done, stderr: () => stderr };
}

async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const { child, done } = spawnCli(args, env);
  child.stdin.end();
  return done;
}

/** Waits for the authorize URL the CLI prints. */
async function printedUrl(stderr: () => string, child: ChildProcessWithoutNullStreams): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const match = /(http:\/\/127\.0\.0\.1:\d+\/auth\/v1\/authorize\?\S+)/.exec(stderr());
    if (match?.[1]) return match[1];
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no authorize URL printed; stderr: ${stderr()}`);
}

/** Plays the browser to the end (also loads the loopback page) and checks where it was sent. */
async function browse(authorizeUrl: string, decision: 'authorize' | 'cancel' = 'authorize') {
  const { callbackUrl, status, page } = await playBrowserLogin(authorizeUrl, { decision });
  expect(callbackUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
  return { status, page };
}

function credentialsFile(home: string): string {
  return path.join(home, 'credentials', 'session.json');
}

/** Records every token in the credentials file, so the last test can check no output ever showed one. */
function collectTokens(home: string): { access_token: string; refresh_token: string } | undefined {
  let stored: Record<string, string>;
  try {
    stored = JSON.parse(readFileSync(credentialsFile(home), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
  let session: { access_token: string; refresh_token: string } | undefined;
  for (const value of Object.values(stored)) {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed === 'string') secrets.add(parsed);
    if (parsed && typeof parsed === 'object' && 'access_token' in parsed) {
      session = parsed as { access_token: string; refresh_token: string; provider_token?: string };
      secrets.add(session.access_token);
      secrets.add(session.refresh_token);
      const provider = (parsed as { provider_token?: string }).provider_token;
      if (provider) secrets.add(provider);
    }
  }
  return session;
}

async function login(home: string, extraArgs: string[] = [], env: Record<string, string> = {}) {
  const cli = spawnCli(['login', '--no-browser', '--timeout', '60', ...extraArgs], cliEnv(home, env));
  const url = await printedUrl(cli.stderr, cli.child);
  const browser = await browse(url);
  const result = await cli.done;
  collectTokens(home);
  return { ...result, browser, url };
}

interface Whoami {
  logged_in: boolean;
  user_id: string;
  github_login: string;
  email: string;
  machine_id: string;
  device_id: string;
  machine_name: string;
  project_url: string;
  profile: string;
  verified: boolean;
}

/** A TCP relay to the stand-in: closing it is the network going down. */
async function startRelay(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('agentlogs login (end to end against the stand-in)', { timeout: 60_000 }, () => {
  it('follows the printed URL through GitHub, receives the callback, exits 0; whoami --json shows the login', async () => {
    const home = newHome();
    const result = await login(home, [], { AGENTLOGS_MACHINE_NAME: 'laptop-one' });
    expect(result.stderr).toContain('open this URL in a browser');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Logged in to ${backend.url} as octocat (octocat@github.example).`);
    expect(result.browser.status).toBe(200);
    expect(result.browser.page).toContain('Logged in');
    expect(auth.counters.pkceExchanges).toBeGreaterThan(0);

    const who = await runCli(['whoami', '--json'], cliEnv(home, { AGENTLOGS_MACHINE_NAME: 'laptop-one' }));
    expect(who.code).toBe(0);
    const info = JSON.parse(who.stdout) as Whoami;
    expect(info).toMatchObject({
      logged_in: true,
      github_login: 'octocat',
      email: 'octocat@github.example',
      machine_name: 'laptop-one',
      project_url: backend.url,
      profile: 'default',
      verified: true,
    });
    const { rows: users } = await backend.standIn.adminPool.query(
      'select id::text from auth.users where email = $1',
      ['octocat@github.example'],
    );
    expect(users.map((u: { id: string }) => u.id)).toEqual([info.user_id]);

    // Login registered the profile and this machine through the backend's RPCs, as the user.
    const { rows: profiles } = await backend.standIn.adminPool.query(
      'select github_login from public.user_profiles where user_id = $1',
      [info.user_id],
    );
    expect(profiles).toEqual([{ github_login: 'octocat' }]);
    const { rows: machines } = await backend.standIn.adminPool.query(
      'select id, device_id, name from public.machines where user_id = $1',
      [info.user_id],
    );
    expect(machines).toEqual([{ id: info.machine_id, device_id: info.device_id, name: 'laptop-one' }]);

    // The session file is private: 0600 in a 0700 directory.
    expect(statSync(credentialsFile(home)).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(credentialsFile(home))).mode & 0o777).toBe(0o700);

    // Logging in again replaces the session and says so.
    const second = await login(home);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('Already logged in as octocat; this login replaces that session.');

    // The device id is stable across runs.
    const again = JSON.parse((await runCli(['whoami', '--json'], cliEnv(home))).stdout) as Whoami;
    expect(again.device_id).toBe(info.device_id);
    expect(again.machine_name).not.toBe('laptop-one');
  });

  it('refreshes an expired access token silently, rotating the refresh token', async () => {
    const home = newHome();
    auth.settings.accessTokenTtlSeconds = 1;
    let before: { access_token: string; refresh_token: string } | undefined;
    try {
      expect((await login(home)).code).toBe(0);
      before = collectTokens(home);
    } finally {
      auth.settings.accessTokenTtlSeconds = 3600;
    }
    await new Promise((r) => setTimeout(r, 1200));
    const refreshes = auth.counters.refreshes;
    const who = await runCli(['whoami', '--json'], cliEnv(home));
    expect(who.code).toBe(0);
    expect((JSON.parse(who.stdout) as Whoami).verified).toBe(true);
    expect(auth.counters.refreshes).toBe(refreshes + 1);
    const after = collectTokens(home);
    expect(after?.access_token).not.toBe(before?.access_token);
    expect(after?.refresh_token).not.toBe(before?.refresh_token);
  });

  it('rejects a tampered code verifier with a clear message and keeps no session', async () => {
    const home = newHome();
    const cli = spawnCli(['login', '--no-browser', '--timeout', '60'], cliEnv(home));
    const url = await printedUrl(cli.stderr, cli.child);
    // Someone alters the stored verifier between the start of the login and the callback.
    const file = credentialsFile(home);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    let tampered = 0;
    for (const [key, value] of Object.entries(stored)) {
      const parsed = JSON.parse(value) as unknown;
      if (typeof parsed === 'string' && /^[A-Za-z0-9._~-]{43,}$/.test(parsed)) {
        stored[key] = JSON.stringify(`${'x'.repeat(parsed.length - 1)}y`);
        tampered++;
      }
    }
    expect(tampered).toBeGreaterThan(0);
    writeFileSync(file, JSON.stringify(stored));
    const browser = await browse(url);
    const result = await cli.done;
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("agentlogs login: the server rejected this login's code verifier");
    expect(browser.status).toBe(400);
    expect(browser.page).toContain('Login failed');
    const who = await runCli(['whoami'], cliEnv(home));
    expect(who.code).toBe(1);
  });

  it('logout signs out everywhere; whoami then exits 1', async () => {
    const home = newHome();
    const other = newHome();
    expect((await login(home)).code).toBe(0);
    expect((await login(other)).code).toBe(0);
    const userId = (JSON.parse((await runCli(['whoami', '--json'], cliEnv(home))).stdout) as Whoami).user_id;
    expect(auth.sessionCount(userId)).toBeGreaterThanOrEqual(2);

    const out = await runCli(['logout'], cliEnv(home));
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('every session of this account was signed out');
    expect(auth.sessionCount(userId)).toBe(0);
    expect(() => statSync(credentialsFile(home))).toThrow();

    const who = await runCli(['whoami'], cliEnv(home));
    expect(who.code).toBe(1);
    expect(who.stderr).toContain('not logged in');
    // The other machine's session was revoked too: its whoami finds out and logs out.
    const otherWho = await runCli(['whoami', '--json'], cliEnv(other));
    expect(otherWho.code).toBe(1);
    expect(otherWho.stderr).toContain('revoked or has expired');
    expect(JSON.parse(otherWho.stdout)).toMatchObject({ logged_in: false });
  });

  it('logout offline deletes the local session and warns', async () => {
    const home = newHome();
    const relay = await startRelay(backend.url);
    const viaRelay = { AGENTLOGS_SUPABASE_URL: relay.url };
    expect((await login(home, [], viaRelay)).code).toBe(0);
    await relay.close();
    const offlineWho = await runCli(['whoami', '--json'], cliEnv(home, viaRelay));
    expect(offlineWho.code).toBe(0);
    expect(JSON.parse(offlineWho.stdout)).toMatchObject({
      logged_in: true,
      github_login: 'octocat',
      verified: false,
    });
    expect(offlineWho.stderr).toContain('showing the stored login, not checked with the server');
    const out = await runCli(['logout'], cliEnv(home, viaRelay));
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('agentlogs logout: warning: cannot reach the server');
    expect(out.stderr).toContain('the server was not told');
    expect(out.stdout).toContain(`Logged out locally from ${relay.url}.`);
    expect(() => statSync(credentialsFile(home))).toThrow();
    const who = await runCli(['whoami'], cliEnv(home, viaRelay));
    expect(who.code).toBe(1);
  });

  it('offline with an expired token: whoami answers at once from the stored login', async () => {
    const home = newHome();
    const relay = await startRelay(backend.url);
    const viaRelay = { AGENTLOGS_SUPABASE_URL: relay.url };
    auth.settings.accessTokenTtlSeconds = 1;
    try {
      expect((await login(home, [], viaRelay)).code).toBe(0);
    } finally {
      auth.settings.accessTokenTtlSeconds = 3600;
    }
    await relay.close();
    const started = Date.now();
    const who = await runCli(['whoami', '--json'], cliEnv(home, viaRelay));
    expect(Date.now() - started).toBeLessThan(8000);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ logged_in: true, verified: false });
    expect(who.stderr).toContain(`cannot reach ${relay.url}`);
  });

  it('logs in again over a stored session the server already revoked', async () => {
    const home = newHome();
    const other = newHome();
    auth.settings.accessTokenTtlSeconds = 1;
    try {
      expect((await login(home)).code).toBe(0);
    } finally {
      auth.settings.accessTokenTtlSeconds = 3600;
    }
    expect((await login(other)).code).toBe(0);
    expect((await runCli(['logout'], cliEnv(other))).code).toBe(0);
    // `home` still holds an expired session whose refresh token is revoked.
    const again = await login(home);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/AuthApiError|at .*\.js:\d+/);
    expect((await runCli(['whoami'], cliEnv(home))).code).toBe(0);
  });

  it('keeps a session per project URL', async () => {
    const home = newHome();
    expect((await login(home)).code).toBe(0);
    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    const who = await runCli(['whoami'], cliEnv(home, { AGENTLOGS_SUPABASE_URL: elsewhere }));
    expect(who.code).toBe(1);
    expect(who.stderr).toContain(`not logged in to ${elsewhere}`);
    expect((await runCli(['whoami'], cliEnv(home))).code).toBe(0);
  });

  it('says clearly when the user denies consent on GitHub', async () => {
    const home = newHome();
    const cli = spawnCli(['login', '--no-browser', '--timeout', '60'], cliEnv(home));
    const url = await printedUrl(cli.stderr, cli.child);
    const browser = await browse(url, 'cancel');
    const result = await cli.done;
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      'agentlogs login: GitHub login was denied: The user has denied your application access.',
    );
    expect(browser.page).toContain('Login failed');
  });

  it('says when the project does not take new sign-ups', async () => {
    const account = auth.github.account;
    auth.settings.disableSignup = true;
    auth.github.account = { id: 31337, login: 'stranger', email: 'stranger@github.example' };
    try {
      const cli = spawnCli(['login', '--no-browser', '--timeout', '60'], cliEnv(newHome()));
      const browser = await browse(await printedUrl(cli.stderr, cli.child));
      const result = await cli.done;
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(
        'agentlogs login: your Supabase project does not allow new users to sign up',
      );
      expect(browser.page).toContain('Login failed');
    } finally {
      auth.settings.disableSignup = false;
      auth.github.account = account;
    }
  });

  it('checks the GitHub provider before opening anything', async () => {
    auth.settings.githubEnabled = false;
    try {
      const result = await runCli(['login', '--no-browser'], cliEnv(newHome()));
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(
        'agentlogs login: GitHub login is not enabled in your Supabase project',
      );
      expect(result.stderr).toContain('Authentication → Sign In / Providers → GitHub');
      expect(result.stderr).not.toContain('/auth/v1/authorize');
    } finally {
      auth.settings.githubEnabled = true;
    }
  });

  it('on timeout, names the redirect URL to allow', async () => {
    const result = await runCli(['login', '--no-browser', '--timeout', '1'], cliEnv(newHome()));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no answer from the browser within 1 s');
    expect(result.stderr).toMatch(
      /add http:\/\/127\.0\.0\.1:\*\/callback to Dashboard → Authentication → URL Configuration → Redirect URLs \(this login used http:\/\/127\.0\.0\.1:\d+\/callback\)/,
    );
  });

  it('reports a project that cannot be reached, and a missing URL or key', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await runCli(
      ['login', '--no-browser'],
      cliEnv(newHome(), { AGENTLOGS_SUPABASE_URL: closed }),
    );
    expect(down.code).toBe(5);
    expect(down.stderr).toContain(`agentlogs login: cannot reach ${closed}: ECONNREFUSED`);

    const noUrl = await runCli(['login'], { ...cliEnv(newHome()), AGENTLOGS_SUPABASE_URL: '' });
    expect(noUrl.code).toBe(3);
    expect(noUrl.stderr).toContain('no Supabase project URL is configured');
    expect(noUrl.stderr).toContain('agentlogs config set supabase.url');

    const noKey = await runCli(['whoami'], { ...cliEnv(newHome()), AGENTLOGS_SUPABASE_ANON_KEY: '' });
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toContain('no Supabase anon key is configured');

    const badKey = await runCli(
      ['login', '--no-browser'],
      // Shaped like an anon key, signed by another project: only the server can tell.
      cliEnv(newHome(), {
        AGENTLOGS_SUPABASE_ANON_KEY: signJwt({ iss: 'supabase', role: 'anon' }, 'another-projects-secret'),
      }),
    );
    expect(badKey.code).toBe(3);
    expect(badKey.stderr).toContain('refused the anon key');
  });

  it('over SSH: accepts the callback address pasted into the terminal', async () => {
    const home = newHome();
    const cli = spawnCli(
      ['login', '--no-browser', '--timeout', '60'],
      cliEnv(home, { SSH_CONNECTION: '10.0.0.2 5555 10.0.0.3 22' }),
    );
    const url = await printedUrl(cli.stderr, cli.child);
    expect(cli.stderr()).toContain('paste its full address here');
    // The laptop's browser cannot reach the server's loopback address; the user copies it from the address bar.
    const { callbackUrl: address } = await playBrowserLogin(url, { load: false });
    cli.child.stdin.write(`${address}\n`);
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('as octocat');
    collectTokens(home);
  });

  it('Ctrl-C cancels cleanly: exit 130, loopback closed, no verifier left behind', async () => {
    const home = newHome();
    const cli = spawnCli(['login', '--no-browser', '--timeout', '60'], cliEnv(home));
    const url = await printedUrl(cli.stderr, cli.child);
    const loopback = /redirect_to=([^&]+)/.exec(url)?.[1];
    expect(loopback).toBeTruthy();
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('agentlogs login: interrupted');
    await expect(fetch(decodeURIComponent(loopback ?? ''))).rejects.toThrow();
    const stored = JSON.parse(readFileSync(credentialsFile(home), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(stored).filter((k) => k.includes('code-verifier'))).toEqual([]);
    expect((await runCli(['whoami'], cliEnv(home))).code).toBe(1);
  });

  it('keeps one session per profile', async () => {
    const home = newHome();
    auth.github.account = { id: 4242, login: 'hubot', email: 'hubot@github.example' };
    try {
      expect((await login(home, [], { AGENTLOGS_PROFILE: 'work' })).code).toBe(0);
    } finally {
      auth.github.account = {
        id: 583231,
        login: 'octocat',
        name: 'The Octocat',
        email: 'octocat@github.example',
      };
    }
    const work = await runCli(['whoami', '--json', '--profile', 'work'], cliEnv(home));
    expect(work.code).toBe(0);
    expect((JSON.parse(work.stdout) as Whoami).github_login).toBe('hubot');
    const byDefault = await runCli(['whoami'], cliEnv(home));
    expect(byDefault.code).toBe(1);
    expect(statSync(path.join(home, 'profiles', 'work', 'credentials', 'session.json')).mode & 0o777).toBe(
      0o600,
    );
  });

  it('gives other commands a logged-in client (openLoggedInProject), or exit 4 when logged out', async () => {
    const home = newHome();
    const ctx = { home, profile: 'default', env: cliEnv(home) };
    await expect(openLoggedInProject(ctx)).rejects.toMatchObject({
      exitCode: 4,
      message: `not logged in to ${backend.url}`,
    });
    const previous = auth.github.account;
    auth.github.account = { id: 777, login: 'monalisa', email: 'monalisa@github.example' };
    try {
      expect((await login(home)).code).toBe(0);
    } finally {
      auth.github.account = previous;
    }
    const project = await openLoggedInProject(ctx);
    // The session is the user's: an RPC as them sees their own machine row.
    const { data, error } = await project.client.rpc('sync_summary', { tables: ['machines'] });
    expect(error).toBeNull();
    expect(data).toEqual([expect.objectContaining({ table: 'machines', count: 1 })]);
    expect((await runCli(['logout'], cliEnv(home))).code).toBe(0);
    const after = await openLoggedInProject(ctx).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(CliError);
    expect((after as CliError).exitCode).toBe(4);
  });

  it('never prints a token', () => {
    expect(secrets.size).toBeGreaterThan(10);
    const all = outputs.join('\n');
    for (const secret of secrets) expect(all.includes(secret)).toBe(false);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
