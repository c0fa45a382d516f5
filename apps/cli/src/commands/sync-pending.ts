import type { Command, OptionsOf } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { openLocalSyncStore, SYNC_TABLES } from '../sync/session.js';
import type { specs } from './index.js';

interface PendingRow {
  table: string;
  id: string;
  version: number;
  /** `new` (never acknowledged), `edit` (a newer version of an acknowledged record) or `delete` (a tombstone). */
  change: 'new' | 'edit' | 'delete';
  updated_at: string | null;
}

export const syncPendingCommand: Command<OptionsOf<(typeof specs)['sync pending']>> = {
  name: 'sync pending',
  async run(ctx, args) {
    const limitText = (args.values.limit as string | undefined) ?? '20';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw usageError(`--limit must be a whole number, got "${limitText}"`);
    const { database, store } = openLocalSyncStore(ctx, 'read');
    let tables: Record<string, number>;
    const records: PendingRow[] = [];
    try {
      tables = await store.pendingCounts(SYNC_TABLES);
      for (const table of SYNC_TABLES) {
        if (records.length >= limit) break;
        const rows = database.sqlite
          .prepare(
            `select t.id, t.version, t.synced_version, t.deleted_at, t.updated_at from ${table} t
              where t.version > t.synced_version
                and not exists (select 1 from dead_letters d where d.table_name = ? and d.id = t.id and d.version = t.version)
              order by t.updated_at, t.id limit ?`,
          )
          .all(table, limit - records.length) as {
          id: string;
          version: number;
          synced_version: number;
          deleted_at: string | null;
          updated_at: string | null;
        }[];
        for (const r of rows) {
          records.push({
            table,
            id: r.id,
            version: r.version,
            change: r.deleted_at !== null ? 'delete' : r.synced_version === 0 ? 'new' : 'edit',
            updated_at: r.updated_at,
          });
        }
      }
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
