import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import type { CommandContext } from './context.js';
import { profileDir } from './context.js';
import { CliError, ExitCode } from './errors.js';

/** A setting of a profile: its name in `agentlogs config`, the environment variable that overrides it. */
export interface ConfigKey {
  key: string;
  /** Environment variable that beats the profile's stored value. */
  env: string;
  description: string;
  /** Shown masked by `config list` / `config get`. */
  secret?: boolean;
  /** Value when neither the environment nor the profile sets one. */
  fallback?: () => string | undefined;
  /** Returns the value to store, or throws a `CliError` saying what is wrong. */
  normalize?: (value: string) => string;
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: 'supabase.url',
    env: 'AGENTLOGS_SUPABASE_URL',
    description:
      'URL of your Supabase project (Dashboard → Project Settings → API), e.g. https://abcd.supabase.co',
    normalize: normalizeProjectUrl,
  },
  {
    key: 'supabase.anon_key',
    env: 'AGENTLOGS_SUPABASE_ANON_KEY',
    description: "the project's anon (publishable) key, from the same page",
    secret: true,
    normalize: (value) => {
      const key = value.trim();
      if (!key || /\s/.test(key))
        throw new CliError('the anon key must be one word without spaces', { exitCode: ExitCode.usage });
      return key;
    },
  },
  {
    key: 'machine.name',
    env: 'AGENTLOGS_MACHINE_NAME',
    description: 'the name this machine has in your records (default: its hostname)',
    fallback: () => os.hostname(),
    normalize: (value) => {
      const name = value.trim();
      if (!name || name.length > 100) {
        throw new CliError('the machine name must be 1 to 100 characters', { exitCode: ExitCode.usage });
      }
      return name;
    },
  },
];

export type ConfigSource = 'env' | 'profile' | 'default';

export interface ResolvedSetting {
  key: string;
  value: string | undefined;
  /** Where the value comes from; undefined when unset. */
  source: ConfigSource | undefined;
  /** The environment variable that would override it. */
  env: string;
  secret: boolean;
}

export function configKey(name: string): ConfigKey {
  const found = CONFIG_KEYS.find((k) => k.key === name);
  if (!found) {
    throw new CliError(`unknown setting "${name}"`, {
      exitCode: ExitCode.usage,
      hint: `known settings: ${CONFIG_KEYS.map((k) => k.key).join(', ')}`,
    });
  }
  return found;
}

/** The directory of the invocation's profile (its database, configuration and credentials live there). */
export function dataDir(ctx: Pick<CommandContext, 'home' | 'profile'>): string {
  return profileDir(ctx.home, ctx.profile);
}

/** Opens a `conf` JSON file, turning a corrupt file into a one-line error that says what to do. */
function openConf(file: string, fileMode: number, hint: string): Conf<Record<string, unknown>> {
  try {
    return new Conf<Record<string, unknown>>({
      cwd: path.dirname(file),
      configName: path.basename(file, '.json'),
      accessPropertiesByDotNotation: false,
      configFileMode: fileMode,
    });
  } catch (error) {
    throw corruptFile(file, error, hint);
  }
}

function corruptFile(file: string, error: unknown, hint: string): CliError {
  const reason =
    error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as Error)?.message})`;
  return new CliError(`the file ${file} ${reason}`, { exitCode: ExitCode.config, hint, cause: error });
}

/**
 * The settings of one profile: stored with `conf` in `<profile dir>/config.json`, overridden by environment
 * variables. Precedence: environment, then the profile, then defaults.
 */
export class ProfileConfig {
  readonly path: string;
  private readonly env: NodeJS.ProcessEnv;
  private store: Conf<Record<string, unknown>> | undefined;

  constructor(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>) {
    this.path = path.join(dataDir(ctx), 'config.json');
    this.env = ctx.env;
  }

  private conf(): Conf<Record<string, unknown>> {
    this.store ??= openConf(
      this.path,
      0o600,
      "fix it by hand, or delete it and set the values again with 'agentlogs config set'",
    );
    return this.store;
  }

  private stored(key: string): string | undefined {
    let value: unknown;
    try {
      value = this.conf().get(key);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw corruptFile(
        this.path,
        error,
        "fix it by hand, or delete it and set the values again with 'agentlogs config set'",
      );
    }
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  get(name: string): ResolvedSetting {
    const k = configKey(name);
    const base = { key: k.key, env: k.env, secret: k.secret === true };
    const fromEnv = this.env[k.env];
    if (fromEnv !== undefined && fromEnv !== '') {
      return { ...base, value: k.normalize ? k.normalize(fromEnv) : fromEnv, source: 'env' };
    }
    const fromProfile = this.stored(k.key);
    if (fromProfile !== undefined) return { ...base, value: fromProfile, source: 'profile' };
    const fallback = k.fallback?.();
    return fallback !== undefined
      ? { ...base, value: fallback, source: 'default' }
      : { ...base, value: undefined, source: undefined };
  }

  /** Stores a value in the profile; returns the normalized value. */
  set(name: string, value: string): string {
    const k = configKey(name);
    const normalized = k.normalize ? k.normalize(value) : value;
    this.ensureDir();
    this.conf().set(k.key, normalized);
    return normalized;
  }

  /** Removes a value from the profile; returns whether it was set. */
  unset(name: string): boolean {
    const k = configKey(name);
    const had = this.stored(k.key) !== undefined;
    if (had) this.conf().delete(k.key);
    return had;
  }

  list(): ResolvedSetting[] {
    return CONFIG_KEYS.map((k) => this.get(k.key));
  }

  private ensureDir(): void {
    mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
  }
}

/** `eyJhbGciOi…` → `eyJh…(208 chars)`: enough to tell keys apart, never enough to use one. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return '****';
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}

/** The project URL and anon key of the invocation, or a one-line error saying how to set them. */
export function projectSettings(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>): {
  url: string;
  anonKey: string;
} {
  const config = new ProfileConfig(ctx);
  const url = config.get('supabase.url').value;
  const anonKey = config.get('supabase.anon_key').value;
  const profileFlag = ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`;
  if (!url) {
    throw new CliError('no Supabase project URL is configured', {
      exitCode: ExitCode.config,
      hint: `run 'agentlogs config set supabase.url https://<project-ref>.supabase.co${profileFlag}' or set AGENTLOGS_SUPABASE_URL`,
    });
  }
  if (!anonKey) {
    throw new CliError('no Supabase anon key is configured', {
      exitCode: ExitCode.config,
      hint: `run 'agentlogs config set supabase.anon_key <anon key>${profileFlag}' (Dashboard → Project Settings → API) or set AGENTLOGS_SUPABASE_ANON_KEY`,
    });
  }
  return { url, anonKey };
}

function normalizeProjectUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new CliError(`"${value}" is not a URL`, {
      exitCode: ExitCode.usage,
      hint: 'use the project URL from Dashboard → Project Settings → API, e.g. https://abcd.supabase.co',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`the project URL must start with https:// (got ${url.protocol}//)`, {
      exitCode: ExitCode.usage,
    });
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new CliError('the project URL must not carry credentials, a query or a fragment', {
      exitCode: ExitCode.usage,
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Where supabase-js keeps this profile's session: a `conf` file of mode 0600 in `<profile dir>/credentials/`
 * (mode 0700). Implements supabase-js's storage interface.
 */
export class CredentialStore {
  readonly dir: string;
  readonly path: string;
  private store: Conf<Record<string, unknown>> | undefined;

  constructor(ctx: Pick<CommandContext, 'home' | 'profile'>) {
    this.dir = path.join(dataDir(ctx), 'credentials');
    this.path = path.join(this.dir, 'session.json');
  }

  private conf(): Conf<Record<string, unknown>> {
    if (!this.store) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
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
    const value = this.read(key);
    return typeof value === 'string' ? value : null;
  };

  setItem = (key: string, value: string): void => {
    this.conf().set(key, value);
    chmodSync(this.path, 0o600);
  };

  removeItem = (key: string): void => {
    if (this.read(key) !== undefined) this.conf().delete(key);
  };

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

  /** Deletes the whole file (logout). */
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
 * Opens the project of the invocation's profile with its stored session. supabase-js is loaded here, on
 * demand, so commands that never talk to the server do not load it.
 */
export async function openProject(
  ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>,
): Promise<ProjectConnection> {
  const { url, anonKey } = projectSettings(ctx);
  const remote = await import('@agentlogs/supabase-remote');
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
      project.credentials.clear();
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
