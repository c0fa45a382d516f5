import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandContext } from './context.js';
import { profileDir } from './context.js';
import { CliError, ExitCode } from './errors.js';
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
  {
    key: 'sync.content',
    env: 'AGENTLOGS_SYNC_CONTENT',
    description:
      'what leaves this machine: metrics (no text), redacted (secrets replaced) or full; a profile that synced before keeps full',
    fallback: () => DEFAULT_CONTENT_LEVEL,
    normalize: normalizeContentLevel,
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

export function corruptFile(file: string, error: unknown, hint: string): CliError {
  const reason =
    error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as Error)?.message})`;
  return new CliError(`the file ${file} ${reason}`, { exitCode: ExitCode.config, hint, cause: error });
}

const PROFILE_FILE_HINT = "fix it by hand, or delete it and set the values again with 'agentlogs config set'";

/**
 * The settings of one profile: stored in `<profile dir>/config.json`, overridden by environment variables.
 * Precedence: environment, then the profile, then defaults. The file is written with `conf` (atomic writes,
 * mode 0600), loaded only by `set` and `unset`; reading it is plain JSON, so commands that only read a
 * setting (import, sync) do not load `conf` and its schema validator.
 */
export class ProfileConfig {
  readonly path: string;
  private readonly env: NodeJS.ProcessEnv;
  private values: Record<string, unknown> | undefined;

  constructor(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>) {
    this.path = path.join(dataDir(ctx), 'config.json');
    this.env = ctx.env;
  }

  /** The stored settings (`conf` writes them as one JSON object); none when there is no file yet. */
  private read(): Record<string, unknown> {
    if (this.values) return this.values;
    let text: string;
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
      throw corruptFile(this.path, new SyntaxError('not a JSON object'), PROFILE_FILE_HINT);
    }
    this.values = parsed as Record<string, unknown>;
    return this.values;
  }

  private stored(key: string): string | undefined {
    const value = this.read()[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  /** The file as `conf` writes it (loaded on demand). */
  private async writer() {
    this.read(); // a corrupt file is reported before conf sees it
    const { openConf } = await import('./conf-file.js');
    this.values = undefined;
    return openConf(this.path, 0o600, PROFILE_FILE_HINT);
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
  async set(name: string, value: string): Promise<string> {
    const k = configKey(name);
    const normalized = k.normalize ? k.normalize(value) : value;
    this.ensureDir();
    (await this.writer()).set(k.key, normalized);
    return normalized;
  }

  /** Removes a value from the profile; returns whether it was set. */
  async unset(name: string): Promise<boolean> {
    const k = configKey(name);
    const had = this.stored(k.key) !== undefined;
    if (had) (await this.writer()).delete(k.key);
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
