import type { Command, OptionsOf } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { syncCliError, withRetries } from '../sync/run.js';
import { openSyncSession } from '../sync/session.js';
import type { specs } from './index.js';

/** `180d`, `26w`, `6m` (30-day months) or a date (YYYY-MM-DD): the moment before which text is removed. */
export function parseOlderThan(text: string, now = new Date()): Date {
  const span = /^(\d+)\s*([dwm])$/i.exec(text.trim());
  if (span) {
    const days = Number(span[1]) * { d: 1, w: 7, m: 30 }[span[2]!.toLowerCase() as 'd' | 'w' | 'm'];
    if (days < 1) throw usageError('--older-than must be at least 1 day');
    return new Date(now.getTime() - days * 86_400_000);
  }
  if (/^\d{4}-\d\d-\d\d$/.test(text.trim())) {
    const date = new Date(`${text.trim()}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date < now) return date;
  }
  throw usageError(
    `--older-than takes a span like 180d, 26w or 6m, or a past date YYYY-MM-DD, got "${text}"`,
  );
}

export const syncPruneCommand: Command<OptionsOf<(typeof specs)['sync prune']>> = {
  name: 'sync prune',
  async run(ctx, args) {
    const given = args.values['older-than'] as string | undefined;
    if (!given)
      throw usageError('sync prune needs --older-than', "e.g. 'agentlogs sync prune --older-than 180d'");
    const before = parseOlderThan(given);
    const session = await openSyncSession(ctx, 'sync prune', {}, { dryRun: true });
    try {
      const result = await withRetries(ctx, session, 'sync prune', () =>
        session.queries.prune(before.toISOString(), { signal: ctx.signal }),
      ).catch((error: unknown) => {
        throw syncCliError(error, session);
      });
      if (args.values.json === true) {
        ctx.out(JSON.stringify({ before: before.toISOString(), pruned: result }, null, 2));
      } else {
        ctx.out(
          `Removed the text of ${result.turns} turns, ${result.sessions} sessions and ${result.cognitive_commits} commits older than ${before.toISOString().slice(0, 10)} from the cloud; their metrics stay, and every machine keeps its local text.`,
        );
      }
      return ExitCode.ok;
    } finally {
      await session.close();
    }
  },
};
