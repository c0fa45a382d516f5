/**
 * `agentlogs setup`: the first thing a person runs after installing. It asks (with @clack/prompts) only for what
 * no option, environment variable or stored setting gives, checks the project before saving anything, and then
 * walks through the content level, the login, the first import and upload, and the background service. With
 * `--yes` it asks nothing: every answer is an option or its default.
 */
import type { Command, OptionsOf } from '../command.js';
import { openProject, ProfileConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { seeHelp } from '../docs.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { LineReader } from '../line-reader.js';
import { formatBytes } from '../progress.js';
import { judgeSchema, type SchemaVerdict, schemaError } from '../schema/check.js';
import { DB_URL_ENV, databaseUrlFrom } from '../schema/migrations.js';
import { normalizeAnonKey, normalizeProjectUrl } from '../settings.js';
import type { ContentLevelName } from '../sync/content.js';
import { SYNC_TABLES } from '../sync/session.js';
import type { specs } from './index.js';

/** How setup talks: clack's prompts on a terminal, questions as lines on any other input, none with --yes. */
export interface Ui {
  step(message: string): void;
  done(message: string): void;
  warn(message: string): void;
  /** Asks for a text; `undefined` in --yes mode. */
  text(
    message: string,
    options: { initial?: string; secret?: boolean; validate?: (v: string) => string | undefined },
  ): Promise<string | undefined>;
  select<T extends string>(
    message: string,
    options: { value: T; label: string; hint?: string }[],
    initial: T,
  ): Promise<T>;
  confirm(message: string, initial: boolean): Promise<boolean>;
  end(message: string): void;
}

class Cancelled extends CliError {
  constructor() {
    super('setup cancelled; nothing more was changed', { exitCode: ExitCode.interrupted });
  }
}

function plainUi(ctx: CommandContext): Ui {
  return {
    step: (m) => ctx.out(`• ${m}`),
    done: (m) => ctx.out(`✓ ${m}`),
    warn: (m) => ctx.err(`! ${m}`),
    text: async () => undefined,
    select: async (_m, _o, initial) => initial,
    confirm: async (_m, initial) => initial,
    end: (m) => ctx.out(m),
  };
}

/**
 * The questions as plain lines, for an input that is not a terminal (a pipe, `ssh host agentlogs setup` without
 * a terminal, answers in a here-document): each question is a line on stdout, each answer a line read from
 * `input`; an empty line takes the default, an answer that does not fit is asked again. When the input ends
 * before an answer, setup stops and says how to run it unattended.
 */
export function linesUi(ctx: CommandContext, input: NodeJS.ReadableStream): Ui {
  const reader = new LineReader(input);
  const answer = async (question: string): Promise<string> => {
    ctx.out(question);
    const line = await reader.next(ctx.signal).catch((error: unknown) => {
      if (ctx.signal.aborted) throw new Cancelled();
      throw error;
    });
    if (line === undefined) {
      throw usageError(
        'setup asks questions, and its input ended before an answer',
        "pass --yes with the answers as options, e.g. 'agentlogs setup --yes --url https://<ref>.supabase.co --anon-key <key>'",
      );
    }
    return line.trim();
  };
  ctx.out('agentlogs setup: answer each question on a line; an empty line takes the answer in brackets.');
  return {
    ...plainUi(ctx),
    async text(message, options) {
      for (;;) {
        const value = await answer(
          `? ${message}${options.initial !== undefined ? ` [${options.initial}]` : options.secret ? ' (not shown again)' : ''}`,
        );
        const given = value === '' && options.initial !== undefined ? options.initial : value;
        const problem = options.validate?.(given);
        if (problem === undefined) return given;
        ctx.out(`  ${problem}; answer again.`);
      }
    },
    async select(message, options, initial) {
      ctx.out(`? ${message} [${initial}]`);
      options.forEach((o, i) => {
        ctx.out(`  ${i + 1}. ${o.label}${o.hint ? ` — ${o.hint}` : ''}`);
      });
      for (;;) {
        const value = await answer('  (a number or a name)');
        if (value === '') return initial;
        const chosen = options.find((o, i) => value === String(i + 1) || value === o.value);
        if (chosen) return chosen.value;
        ctx.out(`  "${value}" is none of them; answer again.`);
      }
    },
    async confirm(message, initial) {
      for (;;) {
        const value = await answer(`? ${message} ${initial ? '[Y/n]' : '[y/N]'}`);
        if (value === '') return initial;
        if (/^y(es)?$/i.test(value)) return true;
        if (/^no?$/i.test(value)) return false;
        ctx.out('  answer y or n.');
      }
    },
  };
}

async function clackUi(ctx: CommandContext): Promise<Ui> {
  const p = await import('@clack/prompts');
  const common = { signal: ctx.signal };
  const check = <T>(value: T | symbol): Exclude<T, symbol> => {
    if (p.isCancel(value)) throw new Cancelled();
    return value as Exclude<T, symbol>;
  };
  p.intro('agentlogs setup');
  return {
    step: (m) => p.log.step(m),
    done: (m) => p.log.success(m),
    warn: (m) => p.log.warn(m),
    async text(message, options) {
      const validate = (v: string | undefined) => options.validate?.(v ?? '');
      const value = options.secret
        ? await p.password({ message, validate, ...common })
        : await p.text({ message, initialValue: options.initial, validate, ...common });
      return check(value);
    },
    async select<T extends string>(
      message: string,
      options: { value: T; label: string; hint?: string }[],
      initial: T,
    ) {
      return check(
        await p.select({
          message,
          options: options.map((o) => ({ value: o.value, label: o.label, hint: o.hint })) as Parameters<
            typeof p.select<T>
          >[0]['options'],
          initialValue: initial,
          ...common,
        }),
      ) as typeof initial;
    },
    async confirm(message, initial) {
      return check(await p.confirm({ message, initialValue: initial, ...common }));
    },
    end: (m) => p.outro(m),
  };
}

/** The validation message of a normalizer, for a prompt (undefined when the value is fine). */
function problemOf(normalize: (v: string) => string): (v: string) => string | undefined {
  return (v) => {
    try {
      normalize(v);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

async function askValue(
  ui: Ui,
  given: string | undefined,
  stored: string | undefined,
  normalize: (v: string) => string,
  question: { message: string; secret?: boolean; missing: CliError },
  interactive: boolean,
): Promise<string> {
  if (given !== undefined) return normalize(given);
  if (!interactive) {
    if (stored !== undefined) return stored;
    throw question.missing;
  }
  const answer = await ui.text(question.message, {
    ...(stored !== undefined && !question.secret ? { initial: stored } : {}),
    secret: question.secret,
    validate: (v) =>
      question.secret && v === '' && stored !== undefined ? undefined : problemOf(normalize)(v),
  });
  if ((answer === undefined || answer === '') && stored !== undefined) return stored;
  return normalize(answer ?? '');
}

const int = (n: number) => n.toLocaleString('en-US');
const FREE_PLAN_DATABASE_BYTES = 500 * 1024 * 1024;
const share = (bytes: number) => {
  const percent = (bytes / FREE_PLAN_DATABASE_BYTES) * 100;
  return percent < 0.1 ? 'under 0.1%' : `${percent.toFixed(1)}%`;
};

export const setupCommand: Command<OptionsOf<typeof specs.setup>> = {
  name: 'setup',
  async run(ctx, args) {
    const v = args.values;
    const interactive = v.yes !== true;
    for (const [a, b] of [
      ['sync', 'no-sync'],
      ['service', 'no-service'],
    ] as const) {
      if (v[a] === true && v[b] === true) throw usageError(`--${a} and --${b} cannot be combined`);
    }
    const terminal =
      process.stdin.isTTY === true && ctx.stdout === process.stdout && process.stdout.isTTY === true;
    const ui = !interactive ? plainUi(ctx) : terminal ? await clackUi(ctx) : linesUi(ctx, process.stdin);
    const config = new ProfileConfig(ctx);
    const profileFlag = ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`;

    // 1. The project.
    const url = await askValue(
      ui,
      v.url,
      config.get('supabase.url').value,
      normalizeProjectUrl,
      {
        message: 'Supabase project URL (Dashboard → Project Settings → API)',
        missing: usageError(
          'the project URL is needed',
          'pass --url https://<ref>.supabase.co or set AGENTLOGS_SUPABASE_URL',
        ),
      },
      interactive,
    );
    const anonKey = await askValue(
      ui,
      v['anon-key'],
      config.get('supabase.anon_key').value,
      normalizeAnonKey,
      {
        message: 'Anon (publishable) key of the project (same page)',
        secret: true,
        missing: usageError(
          'the anon key is needed',
          'pass --anon-key <key> or set AGENTLOGS_SUPABASE_ANON_KEY',
        ),
      },
      interactive,
    );

    // 2. Check the project before changing anything: it answers, GitHub sign-in is on, its schema is current
    // (applied or upgraded here when the database URL is given).
    ui.step(`Checking ${url}…`);
    const remote = await import('@agentlogs/supabase-remote');
    let auth: { githubEnabled: boolean };
    try {
      auth = await remote.fetchAuthSettings(url, anonKey, { signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const failure = remote.toAuthFailure(error);
      if (failure.code === 'bad_api_key') {
        throw new CliError(`${url} refused the anon key`, {
          exitCode: ExitCode.config,
          hint: 'copy the anon (publishable) key of this project from Dashboard → Project Settings → API Keys and pass it with --anon-key',
        });
      }
      throw new CliError(`${url} cannot be reached: ${failure.message}`, {
        exitCode: ExitCode.unavailable,
        hint: 'check the URL (Dashboard → Project Settings → API → Project URL), that the project is not paused, and your network',
      });
    }
    ui.done('The project answers and accepts the anon key.');
    if (!auth.githubEnabled) {
      throw new CliError('GitHub sign-in is not enabled in this project', {
        exitCode: ExitCode.config,
        hint: `Dashboard → Authentication → Sign In / Providers → GitHub: enable it with the client id and secret of a GitHub OAuth app whose callback is ${url}/auth/v1/callback, and allow http://127.0.0.1:*/callback under URL Configuration → Redirect URLs (see ${seeHelp('login')}); then run setup again`,
      });
    }
    ui.done('GitHub sign-in is enabled.');

    // The schema: read from the database when its URL is given (and applied there when it is missing or
    // behind); otherwise the anon key only tells whether agentlogs_schema() exists, and the version is checked
    // once logged in.
    let dbUrl = databaseUrlFrom(v['db-url'], ctx.env);
    let schemaChecked = false;
    if (!dbUrl) {
      const present = await schemaPresent(url, anonKey, remote, ctx.signal);
      if (present) ui.done('The project has the agentlogs schema (its version is checked after the login).');
      else {
        ui.step('The project does not have the agentlogs schema yet (or one older than version checks).');
        if (interactive) {
          dbUrl = await ui.text(
            'Database URL to apply it (Dashboard → Connect → Direct connection → URI, with your database password)',
            {
              secret: true,
              validate: (s) => (/^postgres(ql)?:\/\//.test(s) ? undefined : 'starts with postgresql://'),
            },
          );
        }
        if (!dbUrl) {
          const error = schemaError(
            ctx,
            url,
            judgeSchema(undefined) as Extract<SchemaVerdict, { ok: false }>,
          );
          throw new CliError(error.message, {
            exitCode: ExitCode.config,
            hint: `run setup again with --db-url <database URL> (or ${DB_URL_ENV.join(' / ')}) to apply it, or ${error.hint}`,
          });
        }
      }
    }
    if (dbUrl) {
      const { applySchema } = await import('./schema.js');
      const applied = await applySchema(ctx, dbUrl, { runner: v.runner, quiet: false });
      if (applied.applied.length > 0) {
        ui.done(
          `Applied ${applied.applied.length} migration${applied.applied.length === 1 ? '' : 's'} with ${applied.runner === 'supabase' ? 'the Supabase CLI' : 'the built-in runner'}.`,
        );
      }
      ui.done(`The schema is up to date (${applied.status.applied.at(-1)}).`);
      schemaChecked = true;
    }

    // 3. Save the project and the content level.
    await config.set('supabase.url', url);
    await config.set('supabase.anon_key', anonKey);
    if (config.get('sync.enabled').value !== 'true') await config.set('sync.enabled', 'true');
    for (const key of ['supabase.url', 'supabase.anon_key'] as const) {
      const setting = config.get(key);
      if (setting.source === 'env' && setting.value !== (key === 'supabase.url' ? url : anonKey))
        ui.warn(`${setting.env} is set in this shell and overrides what setup saved for ${key}.`);
    }
    ui.done(`Saved the project in profile ${ctx.profile}.`);
    const content = config.get('sync.content');
    let level = v.content;
    if (level === undefined && interactive) {
      const current = (content.value ?? 'redacted') as ContentLevelName;
      level = await ui.select(
        'What may leave this machine?',
        [
          { value: 'redacted', label: 'redacted', hint: 'text with secrets replaced (recommended)' },
          { value: 'metrics', label: 'metrics', hint: 'no text: ids, times, models, tokens, costs' },
          { value: 'full', label: 'full', hint: 'everything, as in your transcripts' },
        ],
        current,
      );
    }
    if (level !== undefined) {
      const stored = await config.set('sync.content', level);
      ui.done(`Content level: ${stored}.`);
    } else
      ui.done(
        `Content level: ${content.source === 'default' ? 'redacted for a new profile (the default)' : content.value}.`,
      );

    // 4. Log in.
    let loggedIn = false;
    const project = await openProject(ctx);
    if (project.storedSession() !== undefined) {
      try {
        await project.remote.currentSession(project.client);
        loggedIn = true;
        ui.done('Already logged in.');
      } catch {
        loggedIn = false;
      }
    }
    const wantLogin =
      v['no-login'] === true ? false : loggedIn ? false : await ui.confirm('Log in with GitHub now?', true);
    if (wantLogin) {
      const { loginCommand } = await import('./login.js');
      const code = await loginCommand.run(ctx, {
        values: {
          ...(v['no-browser'] === true ? { 'no-browser': true } : {}),
          ...(v.timeout !== undefined ? { timeout: v.timeout } : {}),
          ...(v.port !== undefined ? { port: v.port } : {}),
        },
        positionals: [],
      });
      if (code !== ExitCode.ok) return code;
      loggedIn = true;
    }

    if (loggedIn && !schemaChecked) {
      const project = await openProject(ctx);
      const rpc = new project.remote.ProjectRpc(project.client);
      const verdict = judgeSchema(await rpc.schema({ timeoutMs: 15_000, signal: ctx.signal }));
      if (!verdict.ok) {
        const error = schemaError(ctx, url, verdict);
        throw new CliError(error.message, {
          exitCode: ExitCode.config,
          hint: `run setup again with --db-url <database URL> (or ${DB_URL_ENV.join(' / ')}) to apply it, or ${error.hint}`,
        });
      }
      ui.done(`The schema is up to date (${verdict.latest}).`);
    }

    // 5. Import, and what the first upload will be.
    if (
      v['no-import'] !== true &&
      (await ui.confirm('Import your Claude Code and Codex CLI transcripts now?', true))
    ) {
      const { importCommand } = await import('./import.js');
      const code = await importCommand.run(ctx, { values: {}, positionals: [] });
      if (code !== ExitCode.ok) ui.warn("The import did not finish cleanly; 'agentlogs import' says why.");
    }
    const upload = await firstUpload(ctx);
    ui.step(
      `First upload: ${int(upload.sessions)} sessions, ${int(upload.rows)} rows, ${formatBytes(upload.bytes)} as sent at content level ${upload.level}` +
        ` (${share(upload.bytes)} of the free plan's 500 MB database; stored, it takes more).`,
    );

    // 6. Sync now, and the background service.
    let synced = false;
    if (!loggedIn) {
      ui.warn(`Not logged in: run 'agentlogs login${profileFlag}', then 'agentlogs sync${profileFlag}'.`);
    } else if (v['no-sync'] !== true && (v.sync === true || (await ui.confirm('Sync now?', true)))) {
      const { executeOperation } = await import('../sync/execute.js');
      const code = await executeOperation(ctx, { values: {}, positionals: [] }, 'sync');
      if (code !== ExitCode.ok) return code;
      synced = true;
    }
    if (
      v['no-service'] !== true &&
      (v.service === true ||
        (await ui.confirm("Run 'agentlogs sync --watch' in the background (a user service)?", false)))
    ) {
      const { installService, servicePlatform, describeInstall } = await import('./service.js');
      const result = installService(ctx, servicePlatform(undefined), { start: true });
      for (const line of describeInstall(result)) (result.started ? ui.done : ui.warn)(line);
    }
    ui.end(
      synced
        ? `Set up. 'agentlogs stats --by machine' shows every machine's usage; run setup on your other machines too.`
        : `Set up. Run 'agentlogs sync${profileFlag}' to upload.`,
    );
    return ExitCode.ok;
  },
};

/**
 * Whether the project has `agentlogs_schema()`, asked with the anon key alone: the API refuses the call
 * (SQLSTATE 42501: only signed-in users may call it) when the function exists, and does not know the function
 * when the schema is missing or predates version checks.
 */
async function schemaPresent(
  url: string,
  anonKey: string,
  remote: typeof import('@agentlogs/supabase-remote'),
  signal: AbortSignal,
): Promise<boolean> {
  const rpc = new remote.ProjectRpc(remote.createProjectClient({ url, anonKey }));
  try {
    return (await rpc.schema({ timeoutMs: 15_000, signal })) !== undefined;
  } catch (error) {
    if ((error as { serverCode?: string }).serverCode === '42501') return true;
    throw new CliError(`asking ${url} for its schema failed: ${(error as Error).message}`, {
      exitCode: ExitCode.unavailable,
      hint: 'try again in a minute',
    });
  }
}

/** Pending records (and their size as sent) per the profile's content policy; nothing is recorded. */
async function firstUpload(
  ctx: CommandContext,
): Promise<{ sessions: number; rows: number; bytes: number; level: string }> {
  const { openLocalSyncStore } = await import('../sync/session.js');
  const { resolveContentPolicy } = await import('../sync/policy.js');
  const { database, store } = openLocalSyncStore(ctx);
  try {
    const policy = await resolveContentPolicy(ctx, store, { record: false });
    store.setContentPolicy(policy);
    const size = await store.pendingSize(SYNC_TABLES);
    return {
      sessions: size.records.sessions ?? 0,
      rows: Object.values(size.records).reduce((a, b) => a + b, 0),
      bytes: size.bytes,
      level: policy.level,
    };
  } finally {
    await database.close();
  }
}
