/**
 * Shared pieces of the end-to-end sync tests: the real `agentlogs` binary in child processes, each machine a
 * data directory of its own, logged in through the real `login --no-browser` flow with the test playing the
 * browser, and an HTTP relay in front of the stand-in that can count requests and go down and up again.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthStandIn, GitHubAccount } from '@agentlogs/test-backend';

const here = path.dirname(fileURLToPath(import.meta.url));
export const bin = path.join(here, '..', 'dist', 'bin.js');
export const fixtures = path.join(here, 'fixtures', 'transcripts');
export const ingestFixtures = path.join(here, '..', '..', '..', 'packages', 'ingest', 'test', 'fixtures');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  done: Promise<Run>;
  stdout(): string;
  stderr(): string;
}

const temps: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `agentlogs-${prefix}-`));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A `projects` folder holding the given transcript files under `projects/<project>/`. */
export function claudeTree(files: Record<string, string[]>): string {
  const root = tempDir('claude');
  for (const [project, list] of Object.entries(files)) {
    mkdirSync(path.join(root, 'projects', project), { recursive: true });
    for (const file of list) cpSync(file, path.join(root, 'projects', project, path.basename(file)));
  }
  return path.join(root, 'projects');
}

/** One machine: a data directory and the environment a user would set. */
export class Machine {
  readonly home: string;
  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly anonKey: string,
    readonly extraEnv: Record<string, string> = {},
  ) {
    this.home = tempDir(`home-${name}`);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      TZ: 'UTC',
      AGENTLOGS_HOME: this.home,
      AGENTLOGS_SUPABASE_URL: this.url,
      AGENTLOGS_SUPABASE_ANON_KEY: this.anonKey,
      AGENTLOGS_MACHINE_NAME: this.name,
      AGENTLOGS_SYNC_BACKOFF_MS: '200',
      AGENTLOGS_SYNC_RETRIES: '2',
      ...this.extraEnv,
      ...extra,
    };
  }

  spawn(args: string[], extra: Record<string, string> = {}): Spawned {
    const child = spawn(process.execPath, [bin, ...args], {
      env: this.env(extra),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const done = new Promise<Run>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done, stdout: () => stdout, stderr: () => stderr };
  }

  async run(args: string[], extra: Record<string, string> = {}): Promise<Run> {
    const spawned = this.spawn(args, extra);
    spawned.child.stdin.end();
    return spawned.done;
  }

  /** Runs a command that must succeed and returns its stdout parsed as JSON. */
  async json<T = unknown>(args: string[], extra: Record<string, string> = {}): Promise<T> {
    const result = await this.run([...args, '--json'], extra);
    if (result.code !== 0) {
      throw new Error(
        `agentlogs ${args.join(' ')} exited ${result.code}\n${result.stderr}\n${result.stdout}`,
      );
    }
    return JSON.parse(result.stdout) as T;
  }

  /** Runs a command that must succeed. */
  async ok(args: string[], extra: Record<string, string> = {}): Promise<Run> {
    const result = await this.run(args, extra);
    if (result.code !== 0) {
      throw new Error(
        `agentlogs ${args.join(' ')} exited ${result.code}\n${result.stderr}\n${result.stdout}`,
      );
    }
    return result;
  }

  /** Logs in through `login --no-browser`, playing the browser against the Auth stand-in as `account`. */
  async login(auth: AuthStandIn, account: GitHubAccount, extraArgs: string[] = []): Promise<void> {
    const previous = auth.github.account;
    auth.github.account = account;
    try {
      const cli = this.spawn([...extraArgs, 'login', '--no-browser', '--timeout', '60']);
      const url = await printedUrl(cli);
      await browse(url);
      const result = await cli.done;
      if (result.code !== 0) throw new Error(`login exited ${result.code}: ${result.stderr}`);
    } finally {
      auth.github.account = previous;
    }
  }
}

async function printedUrl(cli: Spawned): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const match = /(http:\/\/127\.0\.0\.1:\d+\/auth\/v1\/authorize\?\S+)/.exec(cli.stderr());
    if (match?.[1]) return match[1];
    if (cli.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no authorize URL printed; stderr: ${cli.stderr()}`);
}

/** authorize → the fake GitHub's consent page → Authorize → Supabase callback → the CLI's loopback. */
async function browse(authorizeUrl: string): Promise<void> {
  const toGitHub = await fetch(authorizeUrl, { redirect: 'manual' });
  const consentUrl = new URL(toGitHub.headers.get('location') ?? '');
  const consent = await (await fetch(consentUrl)).text();
  const link = /id="authorize" href="([^"]+)"/.exec(consent)?.[1]?.replaceAll('&#38;', '&');
  if (!link) throw new Error('no authorize link on the consent page');
  const toCallback = await fetch(new URL(link, consentUrl), { redirect: 'manual' });
  const toCli = await fetch(toCallback.headers.get('location') ?? '', { redirect: 'manual' });
  const last = toCli.headers.get('location') ?? '';
  await (await fetch(last)).text();
}

/**
 * An HTTP relay to the stand-in on a fixed port. `onRequest` sees each request's path (and may act, e.g.
 * kill the client, once the request has been forwarded); `down()` closes the port and drops open
 * connections (the backend is gone), `up()` listens on the same port again.
 */
export class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly counts = new Map<string, number>();
  onForwarded: ((path: string, count: number) => void) | undefined;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const target = new URL(this.target);
    const server = createServer((req, res) => {
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      req.on('end', () => {
        const key = (req.url ?? '').split('?')[0] ?? '';
        const count = (this.counts.get(key) ?? 0) + 1;
        this.counts.set(key, count);
        this.onForwarded?.(key, count);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
