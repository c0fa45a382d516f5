import type { Command, OptionsOf } from '../command.js';
import { openLoggedInProject } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { upgradeCommand } from '../schema/check.js';
import {
  appliedVersions,
  applyWithRunner,
  applyWithSupabaseCli,
  compareSchema,
  DB_URL_ENV,
  databaseUrlFrom,
  type Migration,
  shippedMigrations,
  supabaseOnPath,
} from '../schema/migrations.js';
import type { specs } from './index.js';

export interface SchemaStatus {
  /** Where the applied versions were read: the database itself, or the project's API. */
  source: 'database' | 'api';
  applied: string[];
  missing: string[];
  /** Applied versions this release does not ship. */
  unknown: string[];
  required: string;
  upToDate: boolean;
}

function statusFrom(source: SchemaStatus['source'], applied: string[], shipped: Migration[]): SchemaStatus {
  const state = compareSchema(applied, shipped);
  return {
    source,
    applied: state.applied,
    missing: state.missing.map((m) => m.version),
    unknown: state.unknown,
    required: state.required,
    upToDate: state.missing.length === 0,
  };
}

/** The schema's state: from the database when a URL is given, else from the project's API (anon key). */
async function readStatus(ctx: CommandContext, dbUrl: string | undefined): Promise<SchemaStatus> {
  const shipped = shippedMigrations();
  if (dbUrl) return statusFrom('database', await appliedVersions(dbUrl), shipped);
  // Only a signed-in user may ask the project (anon may call nothing).
  const project = await openLoggedInProject(ctx).catch((error: unknown) => {
    if (error instanceof CliError && error.exitCode === ExitCode.auth) {
      throw new CliError(`${error.message}: the project tells its schema only to a signed-in user`, {
        exitCode: ExitCode.auth,
        hint: `run 'agentlogs login', or pass --db-url to read the database itself (${DB_URL_ENV.join(' or ')})`,
      });
    }
    throw error;
  });
  const rpc = new project.remote.ProjectRpc(project.client);
  let schema: Awaited<ReturnType<typeof rpc.schema>>;
  try {
    schema = await rpc.schema({ timeoutMs: 15_000 });
  } catch (error) {
    throw new CliError(`cannot ask ${project.url} for its schema: ${(error as Error).message}`, {
      exitCode: ExitCode.unavailable,
      hint: `check your network, or pass --db-url to read the database itself (${DB_URL_ENV.join(' or ')})`,
    });
  }
  return statusFrom('api', schema?.versions ?? [], shipped);
}

function printStatus(ctx: CommandContext, status: SchemaStatus): void {
  const n = status.missing.length;
  ctx.out(`Schema of this release: ${status.required}`);
  ctx.out(
    `Applied (${status.source === 'database' ? 'read from the database' : 'as the project reports'}): ${status.applied.length ? status.applied.at(-1) : 'none'} (${status.applied.length} migrations)`,
  );
  if (n === 0) ctx.out('Up to date.');
  else ctx.out(`Missing: ${n} migration${n === 1 ? '' : 's'}: ${status.missing.join(', ')}`);
  if (status.unknown.length > 0) ctx.out(`Not shipped by this release: ${status.unknown.join(', ')}`);
}

export const schemaStatusCommand: Command<OptionsOf<(typeof specs)['schema status']>> = {
  name: 'schema status',
  async run(ctx, args) {
    const status = await readStatus(ctx, databaseUrlFrom(args.values['db-url'], ctx.env));
    if (args.values.json === true) ctx.out(JSON.stringify(status, null, 2));
    else {
      printStatus(ctx, status);
      if (!status.upToDate) ctx.err(`agentlogs schema status: run '${upgradeCommand(ctx)}' to apply them`);
    }
    return status.upToDate ? ExitCode.ok : ExitCode.failure;
  },
};

export type Runner = 'supabase' | 'builtin';

/** Which runner applies the schema: `--runner`, else the Supabase CLI when it is on PATH, else our own. */
export function chooseRunner(
  ctx: Pick<CommandContext, 'env'>,
  flag: string | undefined,
): { runner: Runner; cli?: string } {
  if (flag !== undefined && flag !== 'auto' && flag !== 'supabase' && flag !== 'builtin') {
    throw usageError(`--runner must be auto, supabase or builtin, not "${flag}"`);
  }
  if (flag === 'builtin') return { runner: 'builtin' };
  const cli = supabaseOnPath(ctx.env);
  if (flag === 'supabase' && !cli) {
    throw new CliError('the Supabase CLI is not on PATH', {
      exitCode: ExitCode.config,
      hint: "install it (npm i -g supabase) or leave out '--runner supabase' to use the built-in runner",
    });
  }
  return cli ? { runner: 'supabase', cli } : { runner: 'builtin' };
}

export interface ApplyResult {
  runner: Runner;
  applied: string[];
  status: SchemaStatus;
}

/** Applies the shipped migrations the database lacks; used by `schema apply` and `setup`. */
export async function applySchema(
  ctx: CommandContext,
  dbUrl: string,
  options: { runner?: string; quiet?: boolean } = {},
): Promise<ApplyResult> {
  const shipped = shippedMigrations();
  const { runner, cli } = chooseRunner(ctx, options.runner);
  const before = statusFrom('database', await appliedVersions(dbUrl), shipped);
  const pending = shipped.filter((m) => before.missing.includes(m.version));
  if (pending.length > 0) {
    if (runner === 'supabase' && cli) {
      if (!options.quiet) ctx.err(`Applying ${pending.length} migrations with the Supabase CLI (${cli})…`);
      await applyWithSupabaseCli(cli, dbUrl, ctx.env, shipped);
    } else {
      await applyWithRunner(dbUrl, pending, (m) => {
        if (!options.quiet) ctx.err(`Applying migration ${m.version}_${m.name}.sql…`);
      });
    }
  }
  const after = statusFrom('database', await appliedVersions(dbUrl), shipped);
  return { runner, applied: before.missing.filter((v) => !after.missing.includes(v)), status: after };
}

export const schemaApplyCommand: Command<OptionsOf<(typeof specs)['schema apply']>> = {
  name: 'schema apply',
  async run(ctx, args) {
    const dbUrl = databaseUrlFrom(args.values['db-url'], ctx.env);
    if (!dbUrl) {
      throw usageError(
        `the database URL is needed: --db-url postgresql://… or ${DB_URL_ENV.join(' / ')}`,
        'copy it from the Supabase dashboard: Connect → Direct connection (or Session pooler) → URI, with your database password',
      );
    }
    const result = await applySchema(ctx, dbUrl, {
      runner: args.values.runner,
      quiet: args.values.json === true,
    });
    if (args.values.json === true) ctx.out(JSON.stringify(result, null, 2));
    else if (result.applied.length === 0 && result.status.upToDate)
      ctx.out(`The schema is up to date (${result.status.required}).`);
    else
      ctx.out(
        `Applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'} (${result.runner === 'supabase' ? 'Supabase CLI' : 'built-in runner'}); the schema is at ${result.status.applied.at(-1)}.`,
      );
    return result.status.upToDate ? ExitCode.ok : ExitCode.failure;
  },
};

export const schemaCommands = [schemaStatusCommand, schemaApplyCommand];
