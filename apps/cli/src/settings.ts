import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandContext } from './context.js';
import { profileDir } from './context.js';
import { CliError, ExitCode, fileSystemError } from './errors.js';
import { makeDir, tighten } from './make-dir.js';
import {
  DEFAULT_CONTENT_LEVEL,
  normalizeContentLevel,
  normalizeExclude,
  normalizeRedactPatterns,
} from './sync/content.js';

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
    key: 'supabase.allow_http',
    env: 'AGENTLOGS_SUPABASE_ALLOW_HTTP',
    description:
      'true lets supabase.url use http:// on a private network (unencrypted: your session travels in clear); loopback needs no setting',
    fallback: () => 'false',
    normalize: normalizeBoolean,
  },
  {
    key: 'supabase.anon_key',
    env: 'AGENTLOGS_SUPABASE_ANON_KEY',
    description: "the project's anon (publishable) key, from the same page",
    secret: true,
    normalize: normalizeAnonKey,
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
  {
    key: 'sync.content',
    env: 'AGENTLOGS_SYNC_CONTENT',
    description:
      'what leaves this machine: metrics (no text), redacted (secrets replaced) or full; a profile that synced before keeps full',
    fallback: () => DEFAULT_CONTENT_LEVEL,
    normalize: normalizeContentLevel,
  },
  {
    key: 'sync.enabled',
    env: 'AGENTLOGS_SYNC_ENABLED',
    description: "whether this profile syncs at all: true, or false after 'agentlogs sync disable'",
    fallback: () => 'true',
    normalize: normalizeBoolean,
  },
  {
    key: 'sync.redact.patterns',
    env: 'AGENTLOGS_SYNC_REDACT_PATTERNS',
    description: 'your own redaction patterns at sync.content=redacted: a JSON array of regular expressions',
    normalize: normalizeRedactPatterns,
  },
  {
    key: 'sync.exclude',
    env: 'AGENTLOGS_SYNC_EXCLUDE',
    description: 'projects that never leave this machine: a JSON array of path globs (~/…, **/name)',
    normalize: normalizeExclude,
  },
  {
    key: 'sync.plan',
    env: 'AGENTLOGS_SYNC_PLAN',
    description:
      "your Supabase plan, for the quota 'sync status' and push measure against: free (500 MB database, 1 GB storage), pro (8 GB, 100 GB) or a database size in MB",
    fallback: () => 'free',
    normalize: normalizePlan,
  },
  {
    key: 'visuals.cache_mb',
    env: 'AGENTLOGS_VISUALS_CACHE_MB',
    description:
      'how many MB of images this machine keeps that the project also holds (least recently viewed go first; default 500)',
    fallback: () => '500',
    normalize: (value) => {
      const mb = Number(value.trim());
      if (!Number.isFinite(mb) || mb < 0) {
        throw new CliError('visuals.cache_mb must be a number of megabytes, 0 or more', {
          exitCode: ExitCode.usage,
        });
      }
      return String(mb);
    },
  },
];

/** A plan's quota in bytes: database and storage. */
export interface PlanQuota {
  name: string;
  databaseBytes: number;
  storageBytes: number;
}

const MB = 1024 * 1024;
const PLANS: Record<string, PlanQuota> = {
  free: { name: 'free', databaseBytes: 500 * MB, storageBytes: 1024 * MB },
  pro: { name: 'pro', databaseBytes: 8 * 1024 * MB, storageBytes: 100 * 1024 * MB },
};

function normalizePlan(value: string): string {
  const text = value.trim().toLowerCase();
  if (PLANS[text]) return text;
  const mb = Number(text);
  if (Number.isFinite(mb) && mb > 0) return String(mb);
  throw new CliError(`sync.plan must be free, pro or a database size in MB, got "${value}"`, {
    exitCode: ExitCode.usage,
    hint: 'free: 500 MB database and 1 GB storage; pro: 8 GB and 100 GB',
  });
}

/** The quota of a `sync.plan` value (a number is a database size in MB, with the free plan's storage). */
export function planQuota(value: string | undefined): PlanQuota {
  const text = (value ?? 'free').trim().toLowerCase();
  const plan = PLANS[text];
  if (plan) return plan;
  const mb = Number(text);
  if (Number.isFinite(mb) && mb > 0)
    return { name: `${mb} MB`, databaseBytes: Math.round(mb * MB), storageBytes: PLANS.free!.storageBytes };
  return PLANS.free!;
}

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

export function corruptFile(file: string, error: unknown, hint: string): CliError {
  const denied = fileSystemError(error);
  if (denied) return denied;
  const reason =
    error instanceof NotAnObject
      ? 'is not a JSON object'
      : error instanceof SyntaxError
        ? 'is not valid JSON'
        : `cannot be read (${(error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message})`;
  return new CliError(`the file ${file} ${reason}`, { exitCode: ExitCode.config, hint, cause: error });
}

/** Whether `dir` is a folder this user may enter (then only the file in it is the problem). */
function usableFolder(dir: string): boolean {
  try {
    accessSync(dir, constants.X_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Valid JSON that is not an object (`[1,2]`, `"text"`, `null`). */
class NotAnObject extends Error {}

/** Problems already warned about, one line each per process. */
const warned = new Set<string>();

const PROFILE_FILE_HINT = "fix it by hand, or delete it and set the values again with 'agentlogs config set'";

/** A stored value (undefined when absent or unusable) and, when it cannot be used, why. */
type StoredValue = { value: string | undefined; problem?: CliError };

/**
 * The settings of one profile: stored in `<profile dir>/config.json`, overridden by environment variables.
 * Precedence: environment, then the profile, then defaults. The file is written with `conf` (atomic writes,
 * mode 0600), loaded only by `set` and `unset`; reading it is plain JSON, so commands that only read a
 * setting (import, sync) do not load `conf` and its schema validator.
 *
 * Every value is validated when set and when read. A file that cannot be read or parsed, or a stored value of
 * the wrong type or shape, stops only a command that needs that value and has no other source for it: a
 * setting with a default (`machine.name`) falls back to it after one warning line on stderr.
 */
export class ProfileConfig {
  readonly path: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly warn: (line: string) => void;
  private values: Record<string, unknown> | undefined;
  private fileProblem: CliError | undefined;

  constructor(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'> & Partial<Pick<CommandContext, 'err'>>) {
    this.path = path.join(dataDir(ctx), 'config.json');
    this.env = ctx.env;
    this.warn = ctx.err ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** The stored settings (`conf` writes them as one JSON object); none when there is no file yet. */
  private read(): Record<string, unknown> {
    if (this.values) return this.values;
    if (this.fileProblem) throw this.fileProblem;
    try {
      this.values = this.parse();
      return this.values;
    } catch (error) {
      this.fileProblem = error as CliError;
      throw error;
    }
  }

  private parse(): Record<string, unknown> {
    let text: string;
    tighten(this.path, 0o600); // settings may hold the anon key: readable by this user only
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw corruptFile(this.path, error, PROFILE_FILE_HINT);
    }
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw corruptFile(this.path, error, PROFILE_FILE_HINT);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw corruptFile(this.path, new NotAnObject(), PROFILE_FILE_HINT);
    }
    return parsed as Record<string, unknown>;
  }

  /** The stored value of a setting, checked: its type, then its shape (`normalize`). */
  private stored(k: ConfigKey): StoredValue {
    let values: Record<string, unknown>;
    try {
      values = this.read();
    } catch (error) {
      // A data folder that cannot be used at all stops the command here, in its own words.
      if ((error as CliError).exitCode === ExitCode.fileSystem && !usableFolder(path.dirname(this.path)))
        throw error;
      return { value: undefined, problem: error as CliError };
    }
    const raw = values[k.key];
    if (raw === undefined || raw === '') return { value: undefined };
    const fix = `run 'agentlogs config set ${k.key} <value>' or 'agentlogs config unset ${k.key}'`;
    if (typeof raw !== 'string') {
      const got = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
      return {
        value: undefined,
        problem: new CliError(`${k.key} in ${this.path} must be a string, not ${got}`, {
          exitCode: ExitCode.config,
          hint: fix,
        }),
      };
    }
    if (!k.normalize) return { value: raw };
    try {
      return { value: k.normalize(raw) };
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      return {
        value: undefined,
        problem: new CliError(`${k.key} in ${this.path}: ${error.message}`, {
          exitCode: ExitCode.config,
          hint: fix,
        }),
      };
    }
  }

  /** One warning line per problem and process: the stored value is ignored, the default used. */
  private warnOnce(problem: CliError, consequence: string): void {
    if (warned.has(problem.message)) return;
    warned.add(problem.message);
    const line = `agentlogs: warning: ${problem.message}; ${consequence}`;
    this.warn(problem.hint ? `${line} (${problem.hint})` : line);
  }

  /** The file as `conf` writes it (loaded on demand). */
  private async writer() {
    this.read(); // a corrupt file is reported before conf sees it
    const { openConf } = await import('./conf-file.js');
    this.values = undefined;
    return openConf(this.path, 0o600, PROFILE_FILE_HINT);
  }

  /**
   * The value of a setting and where it comes from. Throws a one-line `CliError` (exit 3) for an environment
   * variable with a bad value, and for a stored value that cannot be used when the setting has no default.
   */
  get(name: string): ResolvedSetting {
    const { setting, problem } = this.inspect(name);
    if (problem) throw problem;
    return setting;
  }

  /** `get`, reporting a problem instead of throwing it when the setting has nothing else to fall back on. */
  private inspect(name: string): { setting: ResolvedSetting; problem?: CliError } {
    const k = configKey(name);
    const base = { key: k.key, env: k.env, secret: k.secret === true };
    const fromEnv = this.env[k.env];
    if (fromEnv !== undefined && fromEnv !== '') {
      let value = fromEnv;
      if (k.normalize) {
        try {
          value = k.normalize(fromEnv);
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          const problem = new CliError(`${k.env}: ${error.message}`, {
            exitCode: ExitCode.config,
            hint: `fix or unset ${k.env}`,
          });
          return { setting: { ...base, value: undefined, source: undefined }, problem };
        }
      }
      return { setting: { ...base, value, source: 'env' } };
    }
    const stored = this.stored(k);
    if (stored.value !== undefined) return { setting: { ...base, value: stored.value, source: 'profile' } };
    const fallback = k.fallback?.();
    if (stored.problem && fallback !== undefined) {
      this.warnOnce(stored.problem, `using the default ${k.key} "${fallback}"`);
    }
    const setting: ResolvedSetting =
      fallback !== undefined
        ? { ...base, value: fallback, source: 'default' }
        : { ...base, value: undefined, source: undefined };
    return fallback === undefined && stored.problem ? { setting, problem: stored.problem } : { setting };
  }

  /** Stores a value in the profile; returns the normalized value. */
  async set(name: string, value: string): Promise<string> {
    const k = configKey(name);
    const normalized = k.normalize ? k.normalize(value) : value;
    if (k.key === 'supabase.url') {
      const problem = insecureUrlProblem(normalized, this.get('supabase.allow_http').value === 'true');
      if (problem) throw new CliError(problem.message, { exitCode: ExitCode.usage, hint: problem.hint });
    }
    this.ensureDir();
    (await this.writer()).set(k.key, normalized);
    return normalized;
  }

  /** Removes a value from the profile (a value of the wrong type too); returns whether it was set. */
  async unset(name: string): Promise<boolean> {
    const k = configKey(name);
    const had = this.read()[k.key] !== undefined;
    if (had) (await this.writer()).delete(k.key);
    return had;
  }

  /**
   * Every setting, for `config list`: a file that cannot be read gives one warning line; a setting whose
   * stored value cannot be used is listed with its problem instead of stopping the listing.
   */
  list(): (ResolvedSetting & { problem?: string })[] {
    try {
      this.read();
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      this.warnOnce(error, 'its settings are ignored');
    }
    return CONFIG_KEYS.map((k) => {
      const { setting, problem } = this.inspect(k.key);
      return problem && !this.fileProblem ? { ...setting, problem: problem.message } : setting;
    });
  }

  private ensureDir(): void {
    makeDir(path.dirname(this.path));
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
  const setting = config.get('supabase.url');
  const url = setting.value;
  const anonKey = config.get('supabase.anon_key').value;
  const profileFlag = ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`;
  if (!url) {
    throw new CliError('no Supabase project URL is configured', {
      exitCode: ExitCode.config,
      hint: `run 'agentlogs config set supabase.url https://<project-ref>.supabase.co${profileFlag}' or set AGENTLOGS_SUPABASE_URL`,
    });
  }
  const insecure = insecureUrlProblem(url, config.get('supabase.allow_http').value === 'true');
  if (insecure) {
    const where = setting.source === 'env' ? setting.env : `supabase.url in ${config.path}`;
    throw new CliError(`${where}: ${insecure.message}`, { exitCode: ExitCode.config, hint: insecure.hint });
  }
  if (!anonKey) {
    throw new CliError('no Supabase anon key is configured', {
      exitCode: ExitCode.config,
      hint: `run 'agentlogs config set supabase.anon_key <anon key>${profileFlag}' (Dashboard → Project Settings → API) or set AGENTLOGS_SUPABASE_ANON_KEY`,
    });
  }
  return { url, anonKey };
}

/**
 * The anon key a client may hold: a publishable key (`sb_publishable_…`) or a legacy anon JWT (three base64url
 * parts whose payload has `role: "anon"`). A secret key (`sb_secret_…`) or a `service_role` JWT bypasses
 * row-level security and is refused with a message saying so. Messages never include the key.
 */
export function normalizeAnonKey(value: string): string {
  const key = value.trim();
  const usage = (message: string, hint?: string) => new CliError(message, { exitCode: ExitCode.usage, hint });
  const where = 'use the anon or publishable key from Dashboard → Project Settings → API Keys';
  if (!key || /\s/.test(key)) throw usage('the anon key must be one word without spaces', where);
  if (key.startsWith('sb_secret_')) {
    throw usage(
      'this is a secret key (sb_secret_…): it bypasses row-level security and must never be put on a client machine',
      `${where}; rotate the secret key if it was shared`,
    );
  }
  if (key.startsWith('sb_publishable_')) {
    if (!/^sb_publishable_[A-Za-z0-9_-]{16,}$/.test(key))
      throw usage('this publishable key is malformed', where);
    return key;
  }
  const parts = key.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+={0,2}$/.test(p))) {
    throw usage(
      'this is not a Supabase anon key: expected a JWT (eyJ…, three parts joined by dots) or a publishable key (sb_publishable_…)',
      where,
    );
  }
  let role: unknown;
  try {
    role = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { role?: unknown }).role;
  } catch {
    throw usage('this JWT cannot be decoded: it is not a Supabase anon key', where);
  }
  if (role === 'service_role') {
    throw usage(
      'this is the service_role key: it bypasses row-level security and must never be put on a client machine',
      `${where}; rotate the service_role key (JWT secret) if it was shared`,
    );
  }
  if (role !== 'anon') {
    const shown = typeof role === 'string' && /^[a-z_]{1,32}$/.test(role) ? `"${role}"` : 'no anon role';
    throw usage(`this JWT is not an anon key (its role is ${shown})`, where);
  }
  return key;
}

/** `true`/`false` (also yes/no, on/off, 1/0). */
function normalizeBoolean(value: string): string {
  const v = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return 'true';
  if (['false', 'no', 'off', '0'].includes(v)) return 'false';
  throw new CliError(`"${value}" is not true or false`, { exitCode: ExitCode.usage });
}

/** Whether `hostname` (as `URL` gives it) is this machine: localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/**
 * Why `url` may not be used: an http:// URL that leaves this machine, unless `supabase.allow_http` is true.
 * The session's tokens and every record travel with each request, so they must not cross a network in clear.
 */
export function insecureUrlProblem(
  url: string,
  allowHttp: boolean,
): { message: string; hint: string } | undefined {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' || isLoopbackHost(parsed.hostname) || allowHttp) return undefined;
  return {
    message: `the project URL must use https:// (http:// only for 127.0.0.1, ::1 or localhost), got ${parsed.origin}`,
    hint: "use the https:// URL of the project; for a server on a private network without TLS, run 'agentlogs config set supabase.allow_http true' first (your session and records then travel unencrypted)",
  };
}

export function normalizeProjectUrl(value: string): string {
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
  if (!url.hostname) {
    throw new CliError('the project URL has no host name', {
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
