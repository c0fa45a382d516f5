import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Conf from 'conf';
import { openConf } from './conf-file.js';
import type { CommandContext } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { makeDir } from './make-dir.js';
import { corruptFile, dataDir, projectSettings } from './settings.js';

export * from './settings.js';

/**
 * Where supabase-js keeps this profile's session: a `conf` file of mode 0600 in `<profile dir>/credentials/`
 * (mode 0700), one entry per project URL. Implements supabase-js's storage interface.
 *
 * Removing a session is compare-and-delete: an entry is removed only while it still holds the value this
 * process last read or wrote. When a refresh fails because the server revoked the session, supabase-js removes
 * the entry; if a login in another process wrote a new session meanwhile, that new session stays.
 */
export class CredentialStore {
  readonly dir: string;
  readonly path: string;
  private store: Conf<Record<string, unknown>> | undefined;
  /** The value of each key as this process last read or wrote it (null: absent). */
  private readonly seen = new Map<string, string | null>();

  constructor(ctx: Pick<CommandContext, 'home' | 'profile'>) {
    this.dir = path.join(dataDir(ctx), 'credentials');
    this.path = path.join(this.dir, 'session.json');
  }

  private conf(): Conf<Record<string, unknown>> {
    if (!this.store) {
      makeDir(this.dir);
      chmodSync(this.dir, 0o700);
      this.store = openConf(this.path, 0o600, `delete it and run 'agentlogs login' again`);
    }
    return this.store;
  }

  private read(key: string): unknown {
    try {
      return this.conf().get(key);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw corruptFile(this.path, error, `delete it and run 'agentlogs login' again`);
    }
  }

  getItem = (key: string): string | null => {
    const raw = this.read(key);
    const value = typeof raw === 'string' ? raw : null;
    this.seen.set(key, value);
    return value;
  };

  setItem = (key: string, value: string): void => {
    this.conf().set(key, value);
    chmodSync(this.path, 0o600);
    this.seen.set(key, value);
  };

  /**
   * Removes `key` unless another process wrote it since this one last read or wrote it (its value then is
   * newer than the one that failed). Returns whether the entry is gone.
   */
  removeUnlessNewer = (key: string): boolean => {
    const raw = this.read(key);
    if (raw === undefined) return true;
    if (this.seen.has(key) && raw !== this.seen.get(key)) return false;
    this.conf().delete(key);
    this.seen.set(key, null);
    return true;
  };

  /** The storage interface supabase-js calls: `removeUnlessNewer` without its answer. */
  removeItem = (key: string): void => {
    this.removeUnlessNewer(key);
  };

  /**
   * Removes the session of one project, only while it is the session this process used (see `removeUnlessNewer`);
   * the sessions of other projects, and logins in progress, stay. Returns false when a
   * newer session, written meanwhile by another process, was kept.
   */
  forgetSession(storageKey: string): boolean {
    const removed = this.removeUnlessNewer(storageKey);
    // A login in progress in another process keeps its verifier; an empty file is not left behind.
    if (removed && Object.keys(this.conf().store).length === 0) this.clear();
    return removed;
  }

  /** Opens the file now, so a corrupt one is reported before supabase-js reads it. */
  check(): void {
    this.read('');
  }

  /** Removes what a login that did not finish left under keys starting with `storageKey` (its PKCE verifiers). */
  removePendingLogins(storageKey: string): void {
    for (const key of Object.keys(this.conf().store)) {
      if (key.startsWith(storageKey) && key.endsWith('code-verifier')) this.conf().delete(key);
    }
  }

  /** Moves the session a login stored under `fromKey` to `toKey`, replacing the session stored there. */
  adoptSession(fromKey: string, toKey: string): void {
    const session = this.getItem(fromKey);
    if (session === null) return;
    this.setItem(toKey, session);
    for (const key of Object.keys(this.conf().store)) if (key.startsWith(fromKey)) this.conf().delete(key);
  }

  /** The stored value of `key` parsed as JSON (supabase-js stores the session as a JSON string). */
  readJson(key: string): unknown {
    const raw = this.getItem(key);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new CliError(`the file ${this.path} holds an unreadable session`, {
        exitCode: ExitCode.config,
        hint: "delete it and run 'agentlogs login' again",
      });
    }
  }

  /** Deletes the whole file, every project's session with it. */
  clear(): void {
    rmSync(this.path, { force: true });
    this.store = undefined;
  }
}

/** The project of this invocation: its settings, its session storage, a supabase-js client made on first use. */
export interface ProjectConnection {
  url: string;
  anonKey: string;
  credentials: CredentialStore;
  storageKey: string;
  remote: typeof import('@agentlogs/supabase-remote');
  /** The supabase-js client with the stored session (created on first access). */
  readonly client: import('@agentlogs/supabase-remote').ProjectClient;
  /** The stored session as supabase-js keeps it, without asking the server. */
  storedSession(): StoredSession | undefined;
  /**
   * When the stored access token must be refreshed before use, checks quickly that the project answers
   * (supabase-js would retry an offline refresh for ~25 s). Resolves with the failure, or undefined.
   */
  checkReachableForRefresh(): Promise<import('@agentlogs/supabase-remote').AuthFailure | undefined>;
}

/** The parts of a stored supabase-js session the CLI reads. */
export interface StoredSession {
  expires_at?: number;
  user?: { id?: string; email?: string; user_metadata?: Record<string, unknown> };
}

let authLogsQuieted = false;
/**
 * supabase-js also logs the auth errors it returns (with stack traces) on the console; the CLI reports each
 * failure itself in one line, so those copies are dropped. Other console output passes through.
 */
function quietAuthErrorLogs(): void {
  if (authLogsQuieted) return;
  authLogsQuieted = true;
  for (const level of ['warn', 'error'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (
        args.some(
          (a) => typeof a === 'object' && a !== null && (a as { __isAuthError?: unknown }).__isAuthError,
        )
      )
        return;
      original(...args);
    };
  }
}

/**
 * supabase-js prints, with `console.warn` when its module is evaluated, that Node.js 20 and below are
 * deprecated. The CLI says so itself, once a day and in its own words (`noticeOldNode` in version.ts), so
 * that one message is dropped while supabase-js loads; any other warning passes through.
 */
async function loadRemote(): Promise<typeof import('@agentlogs/supabase-remote')> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /Node\.js \d+ and below are deprecated/.test(args[0])) return;
    warn.apply(console, args);
  };
  try {
    return await import('@agentlogs/supabase-remote');
  } finally {
    console.warn = warn;
  }
}

/**
 * Opens the project of the invocation's profile with its stored session. supabase-js is loaded here, on
 * demand, so commands that never talk to the server do not load it.
 */
export async function openProject(
  ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>,
): Promise<ProjectConnection> {
  const { url, anonKey } = projectSettings(ctx);
  const remote = await loadRemote();
  quietAuthErrorLogs();
  const credentials = new CredentialStore(ctx);
  credentials.check();
  const storageKey = remote.sessionStorageKey(url);
  let client: import('@agentlogs/supabase-remote').ProjectClient | undefined;
  const storedSession = () => credentials.readJson(storageKey) as StoredSession | undefined;
  return {
    url,
    anonKey,
    credentials,
    storageKey,
    remote,
    get client() {
      client ??= remote.createProjectClient({ url, anonKey, storage: credentials, storageKey });
      return client;
    },
    storedSession,
    async checkReachableForRefresh() {
      const stored = storedSession();
      if (!stored || !remote.sessionNeedsRefresh(stored)) return undefined;
      const failure = await remote.checkReachable(url, anonKey);
      return failure && (failure.code === 'network' || failure.code === 'server') ? failure : undefined;
    },
  };
}

/** How long a command run by hand waits for the project to answer its first request. */
export const QUICK_CHECK_MS = 5_000;

/**
 * For a command run by hand: one request with a short timeout (`GET /auth/v1/settings`) before any work, so
 * a project that cannot be reached is named with the cause (DNS, refused, TLS, timeout) in seconds, exit 5,
 * instead of after minutes of retries. Resolves with the failure, or undefined when the project answered.
 */
export async function quickReachabilityCheck(
  project: Pick<ProjectConnection, 'url' | 'anonKey' | 'remote'>,
): Promise<CliError | undefined> {
  const failure = await project.remote.checkReachable(project.url, project.anonKey, {
    timeoutMs: QUICK_CHECK_MS,
  });
  if (!failure) return undefined;
  if (failure.code === 'bad_api_key') {
    return new CliError(`${project.url} refused the anon key`, {
      exitCode: ExitCode.config,
      hint: "copy the anon key from Dashboard → Project Settings → API and run 'agentlogs config set supabase.anon_key <key>'",
    });
  }
  if (failure.code === 'network' || failure.code === 'server') {
    // The same words as a sync that gave up: `<url> could not be reached: <cause>`.
    const cause = failure.message.startsWith(`cannot reach ${project.url}: `)
      ? failure.message.slice(`cannot reach ${project.url}: `.length)
      : failure.message;
    return new CliError(`${project.url} could not be reached: ${cause}`, {
      exitCode: ExitCode.unavailable,
      hint: 'nothing was lost; check your network and the project URL, then run the command again',
    });
  }
  return undefined; // anything else is reported by the request that needs it
}

/**
 * `openProject` plus a usable session (refreshed silently when its access token expired): what `push`, `pull`
 * and `sync` need. Not logged in, or a session the server revoked → exit 4; server unreachable → exit 5.
 */
export async function openLoggedInProject(
  ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>,
): Promise<ProjectConnection> {
  const project = await openProject(ctx);
  const login = `agentlogs login${ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`}`;
  if (!project.storedSession()) {
    throw new CliError(`not logged in to ${project.url}`, {
      exitCode: ExitCode.auth,
      hint: `run '${login}'`,
    });
  }
  const offline = await project.checkReachableForRefresh();
  if (offline) {
    throw new CliError(offline.message, {
      exitCode: ExitCode.unavailable,
      hint: 'check your network, then try again',
    });
  }
  try {
    await project.remote.currentSession(project.client);
  } catch (error) {
    const failure = project.remote.toAuthFailure(error);
    if (failure.code === 'not_logged_in') {
      throw new CliError(`not logged in to ${project.url}`, {
        exitCode: ExitCode.auth,
        hint: `run '${login}'`,
      });
    }
    if (failure.code === 'session_revoked') {
      project.credentials.forgetSession(project.storageKey);
      throw new CliError(`the session for ${project.url} was revoked or has expired`, {
        exitCode: ExitCode.auth,
        hint: `run '${login}'`,
      });
    }
    if (failure.code === 'network' || failure.code === 'server') {
      throw new CliError(failure.message, {
        exitCode: ExitCode.unavailable,
        hint: 'check your network, then try again',
      });
    }
    throw new CliError(`the session could not be used: ${failure.message}`, {
      exitCode: ExitCode.auth,
      hint: `run '${login}'`,
    });
  }
  return project;
}
