/** The shared body of `push`, `pull` and `sync`: dry run or real run, human or JSON output. */
import { markEverythingPending } from '@agentlogs/local-store';
import type { ParsedArgs } from '../command.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { type ContentPlan, describeContentPlan, planContent } from './content-plan.js';
import { lockedNotice } from './encryption.js';
import { profilePlan, quotaReport, quotaWarning } from './quota.js';
import {
  describePullPlan,
  describePushPlan,
  describeResult,
  type OperationResult,
  type PullPlan,
  type PushPlan,
  planPull,
  planPush,
  resultExitCode,
  runOperation,
  type SyncOperation,
  syncCliError,
} from './run.js';
import { openSyncSession, type SyncSession } from './session.js';

export const DRY_RUN_HELP = `  --dry-run   ask the server what would move and print the counts; changes nothing here or there`;

export async function executeOperation(
  ctx: CommandContext,
  args: ParsedArgs,
  operation: SyncOperation,
): Promise<number> {
  const json = args.values.json === true;
  const dryRun = args.values['dry-run'] === true;
  const force = args.values.force === true;
  const session = await openSyncSession(ctx, operation, {}, { dryRun });
  const locked = lockedNotice(session.encryption);
  if (locked) ctx.err(locked);
  try {
    if (dryRun) {
      let push: PushPlan | undefined;
      let pull: PullPlan | undefined;
      let content: ContentPlan | undefined;
      try {
        if (operation !== 'push') pull = await planPull(ctx, session);
        if (operation !== 'pull') {
          push = await planPush(ctx, session, { all: force });
          content = await planContent(session);
        }
      } catch (error) {
        throw syncCliError(error, session);
      }
      if (json) {
        ctx.out(
          JSON.stringify(
            {
              operation,
              dryRun: true,
              ...(pull ? { pull } : {}),
              ...(push ? { push } : {}),
              ...(content ? { content } : {}),
            },
            null,
            2,
          ),
        );
      } else {
        if (pull) for (const line of describePullPlan(pull)) ctx.out(line);
        if (push)
          for (const line of describePushPlan(push, { pullFirst: operation === 'sync' })) ctx.out(line);
        if (content) for (const line of describeContentPlan(content)) ctx.out(line);
        ctx.out('Dry run: nothing was changed.');
      }
      return ExitCode.ok;
    }
    if (force) {
      const count = await markEverythingPending(session.store);
      if (!json)
        ctx.err(`Re-sending everything: ${count.toLocaleString('en-US')} records marked to push again.`);
    }
    const result = await runOperation(ctx, session, operation, { quiet: json });
    if (json) ctx.out(JSON.stringify(result, null, 2));
    else for (const line of describeResult(result)) ctx.out(line);
    await warnAboutQuota(ctx, session, result);
    return resultExitCode(result);
  } finally {
    await session.close();
  }
}

/**
 * After a push that sent something, asks the server for this user's footprint and warns on stderr at 75% and
 * 90% of the plan (`sync.plan`). A project without `sync_footprint` is not warned about.
 */
async function warnAboutQuota(
  ctx: CommandContext,
  session: SyncSession,
  result: OperationResult,
): Promise<void> {
  const sent = (result.push?.accepted ?? 0) + (result.visuals?.uploaded ?? 0);
  if (sent === 0) return;
  try {
    const warning = quotaWarning(
      quotaReport(await session.queries.footprint({ timeoutMs: 15_000 }), profilePlan(ctx)),
    );
    if (warning) ctx.err(warning);
  } catch (error) {
    // The push itself succeeded; the quota is checked again by the next one and by 'agentlogs sync status'.
    if (ctx.env.AGENTLOGS_DEBUG) ctx.err(`agentlogs: could not check the quota: ${(error as Error).message}`);
  }
}
