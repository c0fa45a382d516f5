import { listPendingRecords, type PendingRecord } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
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
    try {
      tables = await store.pendingCounts(SYNC_TABLES);
      records = await listPendingRecords(database, limit);
    } finally {
      await database.close();
    }
    const total = Object.values(tables).reduce((a, b) => a + b, 0);
    if (args.values.json === true) {
      ctx.out(JSON.stringify({ total, tables, records }, null, 2));
      return ExitCode.ok;
    }
    if (total === 0) {
      ctx.out('Nothing to push: every local record is on the server.');
      return ExitCode.ok;
    }
    ctx.out(`${total.toLocaleString('en-US')} records waiting to be pushed:`);
    for (const [table, n] of Object.entries(tables)) if (n > 0) ctx.out(`  ${table.padEnd(18)} ${n}`);
    if (records.length > 0) {
      ctx.out('');
      for (const r of records) ctx.out(`  ${r.change.padEnd(6)} ${r.table}/${r.id} v${r.version}`);
      if (total > records.length) ctx.out(`  … and ${total - records.length} more (--limit N to see more)`);
    }
    return ExitCode.ok;
  },
};
