/**
 * The check every sync makes (and `agentlogs setup` before saving anything): does the project's database
 * hold every migration this release ships? When it does not, the error names the command that applies them.
 */
import type { ProjectRpc, ServerSchema } from '@agentlogs/supabase-remote';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { compareSchema, type Migration, shippedMigrations } from './migrations.js';

/** The command that brings the project's schema up to this release, for hints. */
export function upgradeCommand(ctx: Pick<CommandContext, 'profile'>): string {
  const profile = ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`;
  return `agentlogs schema apply${profile} --db-url <database URL>`;
}

export type SchemaVerdict =
  | { ok: true; latest: string; newer: string[] }
  | { ok: false; reason: 'not-applied' | 'outdated'; missing: Migration[]; latest: string | null };

/** Compares what the server reports (undefined: no `agentlogs_schema()`) with the shipped migrations. */
export function judgeSchema(
  schema: ServerSchema | undefined,
  shipped: readonly Migration[] = shippedMigrations(),
): SchemaVerdict {
  if (schema === undefined) {
    return { ok: false, reason: 'not-applied', missing: [...shipped], latest: null };
  }
  const state = compareSchema(schema.versions, shipped);
  if (state.missing.length > 0) {
    return {
      ok: false,
      reason: schema.versions.length === 0 ? 'not-applied' : 'outdated',
      missing: state.missing,
      latest: schema.latest,
    };
  }
  return { ok: true, latest: state.required, newer: state.unknown.filter((v) => v > state.required) };
}

/** The one-line error for a schema that is missing or behind, naming the command that fixes it. */
export function schemaError(
  ctx: Pick<CommandContext, 'profile'>,
  url: string,
  verdict: Extract<SchemaVerdict, { ok: false }>,
): CliError {
  const n = verdict.missing.length;
  const what =
    verdict.reason === 'not-applied'
      ? `the project ${url} does not have the agentlogs schema (or it predates version checks)`
      : `the project ${url} has an older agentlogs schema (${verdict.latest}); ${n} migration${n === 1 ? '' : 's'} of this release ${n === 1 ? 'is' : 'are'} missing, the newest ${verdict.missing.at(-1)?.version}`;
  return new CliError(what, {
    exitCode: ExitCode.config,
    hint: `run '${upgradeCommand(ctx)}' (Dashboard → Connect → Direct connection gives the URL), or 'supabase db push' with this release's migrations; see 'agentlogs help supabase'`,
  });
}

/**
 * Asks the server for its schema and throws `schemaError` when migrations are missing; warns once when the
 * server is newer than this release. A failure to ask is left to the command's own request, which reports
 * connection problems with its retries.
 */
export async function assertServerSchema(
  ctx: Pick<CommandContext, 'profile' | 'err'>,
  url: string,
  rpc: ProjectRpc,
): Promise<void> {
  let schema: ServerSchema | undefined;
  try {
    schema = await rpc.schema({ timeoutMs: 15_000 });
  } catch {
    return;
  }
  const verdict = judgeSchema(schema);
  if (!verdict.ok) throw schemaError(ctx, url, verdict);
  if (verdict.newer.length > 0) {
    ctx.err(
      `agentlogs: warning: the project's schema is newer than this agentlogs (${verdict.newer.at(-1)}); upgrade with 'npm i -g @agentlogs/cli'`,
    );
  }
}
