import type { PendingRecord } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { resolveContentPolicy } from '../sync/policy.js';
import { openLocalSyncStore, SYNC_TABLES } from '../sync/session.js';
import type { specs } from './index.js';

export const syncPendingCommand: Command<OptionsOf<(typeof specs)['sync pending']>> = {
  name: 'sync pending',
  async run(ctx, args) {
    const limitText = (args.values.limit as string | undefined) ?? '20';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw usageError(`--limit must be a whole number, got "${limitText}"`);
    const { database, store } = openLocalSyncStore(ctx, 'read');
    let tables: Record<string, number>;
    let records: PendingRecord[];
    let excludedSessions = 0;
    try {
      try {
        // Records of projects sync.exclude keeps on this machine are not waiting to be pushed: they never leave.
        store.setContentPolicy(await resolveContentPolicy(ctx, store, { record: false }));
        excludedSessions = store.excludedSessionCount();
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
      }
      tables = await store.pendingCounts(SYNC_TABLES);
      records = store.listPending(limit);
    } finally {
      await database.close();
    }
    const total = Object.values(tables).reduce((a, b) => a + b, 0);
    if (args.values.json === true) {
      ctx.out(JSON.stringify({ total, tables, records, excluded_sessions: excludedSessions }, null, 2));
      return ExitCode.ok;
    }
    const excluded =
      excludedSessions > 0
        ? ` (${excludedSessions.toLocaleString('en-US')} sessions excluded by sync.exclude never leave and are not counted)`
        : '';
    if (total === 0) {
      ctx.out(`Nothing to push: every local record is on the server${excluded}.`);
      return ExitCode.ok;
    }
    ctx.out(`${total.toLocaleString('en-US')} records waiting to be pushed${excluded}:`);
    for (const [table, n] of Object.entries(tables)) if (n > 0) ctx.out(`  ${table.padEnd(18)} ${n}`);
    if (records.length > 0) {
      ctx.out('');
      for (const r of records) ctx.out(`  ${r.change.padEnd(6)} ${r.table}/${r.id} v${r.version}`);
      if (total > records.length) ctx.out(`  … and ${total - records.length} more (--limit N to see more)`);
    }
    return ExitCode.ok;
  },
};
