/**
 * Shared pieces of the end-to-end sync tests: the real `agentlogs` binary in child processes, each machine a
 * data directory of its own, logged in through the real `login --no-browser` flow with the test playing the
 * browser, and an HTTP relay in front of the stand-in that can count requests and go down and up again.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AuthStandIn,
  CliMachine,
  type CliProcess,
  type CliRun,
  type GitHubAccount,
} from '@agentlogs/test-backend';

const here = path.dirname(fileURLToPath(import.meta.url));
export const bin = path.join(here, '..', 'dist', 'bin.js');
export const fixtures = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
export const ingestFixtures = path.join(here, '..', '..', '..', 'packages', 'ingest', 'test', 'fixtures');

/** What one run of the CLI gave back (see `CliMachine` in the test backend). */
export type Run = CliRun;
export type Spawned = CliProcess;

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

/**
 * One machine: a data directory and the environment a user would set, with short retry delays so that tests of
 * backing off finish in seconds.
 */
export class Machine extends CliMachine {
  constructor(name: string, url: string, anonKey: string, extraEnv: Record<string, string> = {}) {
    super({
      bin,
      name,
      home: tempDir(`home-${name}`),
      url,
      anonKey,
      env: { AGENTLOGS_SYNC_BACKOFF_MS: '200', AGENTLOGS_SYNC_RETRIES: '2', ...extraEnv },
    });
  }

  /** Logs in through `login --no-browser`, playing the browser against the Auth stand-in as `account`. */
  async loginAs(auth: AuthStandIn, account: GitHubAccount, extraArgs: string[] = []): Promise<void> {
    const previous = auth.github.account;
    auth.github.account = account;
    try {
      await this.login(extraArgs);
    } finally {
      auth.github.account = previous;
    }
  }
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
