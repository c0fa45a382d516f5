/**
 * One "machine" of the agentlogs CLI for end-to-end tests, the benchmark and the demo: the built binary run in
 * child processes with a data directory of its own and the environment a user would set for a real project
 * (`AGENTLOGS_SUPABASE_URL`, `AGENTLOGS_SUPABASE_ANON_KEY`). Logging in goes through the real
 * `login --no-browser` flow, with this process playing the person at the browser.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { findAuthorizeUrl, playBrowserLogin } from './auth/browser.js';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  done: Promise<CliRun>;
  stdout(): string;
  stderr(): string;
}

export interface CliMachineOptions {
  /** Path of the built CLI (`apps/cli/dist/bin.js`). */
  bin: string;
  /** The machine's name (`AGENTLOGS_MACHINE_NAME`). */
  name: string;
  /** Its data directory (`AGENTLOGS_HOME`, also `HOME`, so nothing of the real home is read). */
  home: string;
  /** The project: the stand-in's URL and anon key, as a user configures a real one. */
  url: string;
  anonKey: string;
  /** More environment for every run. */
  env?: Record<string, string>;
}

export class CliCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly run: CliRun,
  ) {
    super(`agentlogs ${args.join(' ')} exited ${run.code ?? run.signal}\n${run.stderr}\n${run.stdout}`);
    this.name = 'CliCommandError';
  }
}

export class CliMachine {
  readonly name: string;
  readonly home: string;
  constructor(private readonly options: CliMachineOptions) {
    this.name = options.name;
    this.home = options.home;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      TZ: 'UTC',
      AGENTLOGS_HOME: this.home,
      AGENTLOGS_SUPABASE_URL: this.options.url,
      AGENTLOGS_SUPABASE_ANON_KEY: this.options.anonKey,
      AGENTLOGS_MACHINE_NAME: this.name,
      ...this.options.env,
      ...extra,
    };
  }

  /** Starts `agentlogs <args>`; stdin stays open (for prompts) until the caller ends it. */
  spawn(args: string[], extra: Record<string, string> = {}): CliProcess {
    const child = spawn(process.execPath, [this.options.bin, ...args], {
      env: this.env(extra),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    const done = new Promise<CliRun>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done, stdout: () => stdout, stderr: () => stderr };
  }

  /** Runs `agentlogs <args>` to its end, whatever its exit code. */
  run(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    const spawned = this.spawn(args, extra);
    spawned.child.stdin.end();
    return spawned.done;
  }

  /** Runs a command that must succeed. */
  async ok(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    const result = await this.run(args, extra);
    if (result.code !== 0) throw new CliCommandError(args, result);
    return result;
  }

  /** Runs a command that must succeed with `--json` and returns its output parsed. */
  async json<T = unknown>(args: string[], extra: Record<string, string> = {}): Promise<T> {
    return JSON.parse((await this.ok([...args, '--json'], extra)).stdout) as T;
  }

  /**
   * `agentlogs login --no-browser`: waits for the printed URL, approves the (fake) GitHub consent, and waits for
   * the CLI to finish. `args` go before `login` (e.g. `--profile work`).
   */
  async login(args: string[] = [], extra: Record<string, string> = {}): Promise<CliRun> {
    const cli = this.spawn([...args, 'login', '--no-browser', '--timeout', '60'], extra);
    cli.child.stdin.end();
    let url: string | undefined;
    for (let i = 0; i < 600 && !url && cli.child.exitCode === null; i++) {
      url = findAuthorizeUrl(cli.stderr());
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    if (!url) {
      cli.child.kill();
      throw new CliCommandError(['login'], await cli.done);
    }
    await playBrowserLogin(url);
    const result = await cli.done;
    if (result.code !== 0) throw new CliCommandError(['login'], result);
    return result;
  }
}
