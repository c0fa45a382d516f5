/**
 * The outbox as people and the dry runs see it: which records wait to be pushed, their envelopes, and
 * making everything pending again. A record is pending when `version > synced_version` and its version is
 * not parked as a dead letter, the same definition as `SqliteSyncStore.pendingChanges`.
 */
import type { SyncRecord } from '@agentlogs/sync-core';
import type { ExpressionBuilder } from 'kysely';
import type { LocalDatabase } from './open.js';
import type { Database } from './schema.js';
import type { SqliteSyncStore } from './sync-store.js';
import { SYNCED_TABLES, type SyncedTable } from './tables.js';

const EPOCH = '1970-01-01T00:00:00.000Z';

/** One pending record, as `agentlogs sync pending` lists it. */
export interface PendingRecord {
  table: SyncedTable;
  id: string;
  version: number;
  /** `new` (never acknowledged), `edit` (a newer version of an acknowledged record) or `delete` (a tombstone). */
  change: 'new' | 'edit' | 'delete';
  updated_at: string | null;
}

/**
 * Every synced table has the envelope columns; kysely is given `machines` as the representative table so the
 * queries below type-check once for all of them.
 */
type EnvelopeTable = 'machines';
const envelopeTable = (table: SyncedTable) => table as EnvelopeTable;

/** The row's version is not parked as a dead letter. */
function notParked(table: SyncedTable) {
  return (eb: ExpressionBuilder<Database & { t: Database[EnvelopeTable] }, 't'>) =>
    eb.not(
      eb.exists(
        eb
          .selectFrom('dead_letters as d')
          .select('d.id')
          .where('d.table_name', '=', table)
          .whereRef('d.id', '=', 't.id')
          .whereRef('d.version', '=', 't.version'),
      ),
    );
}

/** Pending records, table by table in push order, oldest edit first within a table; at most `limit`. */
export async function listPendingRecords(database: LocalDatabase, limit: number): Promise<PendingRecord[]> {
  const db = await database.kysely();
  const records: PendingRecord[] = [];
  for (const table of SYNCED_TABLES) {
    if (records.length >= limit) break;
    const rows = await db
      .selectFrom(`${envelopeTable(table)} as t`)
      .select(['t.id', 't.version', 't.synced_version', 't.deleted_at', 't.updated_at'])
      .whereRef('t.version', '>', 't.synced_version')
      .where(notParked(table))
      .orderBy('t.updated_at')
      .orderBy('t.id')
      .limit(limit - records.length)
      .execute();
    for (const row of rows) {
      records.push({
        table,
        id: row.id,
        version: row.version,
        change: row.deleted_at !== null ? 'delete' : row.synced_version === 0 ? 'new' : 'edit',
        updated_at: row.updated_at,
      });
    }
  }
  return records;
}

/**
 * The envelope of every pending record (what a push would send, without payloads), or of every record with
 * `all`. `deviceId` stands in for rows that carry none.
 */
export async function outboxEnvelopes(
  database: LocalDatabase,
  options: { deviceId: string; all?: boolean },
): Promise<SyncRecord[]> {
  const db = await database.kysely();
  const records: SyncRecord[] = [];
  for (const table of SYNCED_TABLES) {
    let query = db
      .selectFrom(`${envelopeTable(table)} as t`)
      .select(['t.id', 't.version', 't.updated_at', 't.deleted_at', 't.device_id']);
    if (!options.all) query = query.whereRef('t.version', '>', 't.synced_version').where(notParked(table));
    for (const row of await query.execute()) {
      records.push({
        table,
        id: row.id,
        version: row.version,
        updatedAt: row.updated_at ?? EPOCH,
        deletedAt: row.deleted_at,
        deviceId: row.device_id ?? options.deviceId,
        payload: {},
      });
    }
  }
  return records;
}

/**
 * `outboxEnvelopes` a page at a time (table by table in push order, by id within a table), so a dry run over an
 * outbox of any size holds one page: each page is read with `id > last id … limit pageSize`.
 */
export async function* outboxEnvelopePages(
  database: LocalDatabase,
  options: { deviceId: string; all?: boolean; pageSize?: number },
): AsyncGenerator<SyncRecord[]> {
  const db = await database.kysely();
  const pageSize = options.pageSize ?? 5000;
  for (const table of SYNCED_TABLES) {
    let after: string | null = null;
    for (;;) {
      let query = db
        .selectFrom(`${envelopeTable(table)} as t`)
        .select(['t.id', 't.version', 't.updated_at', 't.deleted_at', 't.device_id']);
      if (!options.all) query = query.whereRef('t.version', '>', 't.synced_version').where(notParked(table));
      if (after !== null) query = query.where('t.id', '>', after);
      const rows = await query.orderBy('t.id').limit(pageSize).execute();
      if (rows.length === 0) break;
      yield rows.map((row) => ({
        table,
        id: row.id,
        version: row.version,
        updatedAt: row.updated_at ?? EPOCH,
        deletedAt: row.deleted_at,
        deviceId: row.device_id ?? options.deviceId,
        payload: {},
      }));
      if (rows.length < pageSize) break;
      after = (rows.at(-1) as { id: string }).id;
    }
  }
}

/**
 * Makes every record pending again and releases the dead letters: the next push re-sends all of them; the
 * server takes back what it already holds as the same write. Returns how many records became pending.
 */
export async function markEverythingPending(store: SqliteSyncStore): Promise<number> {
  await store.retryDeadLetters();
  const db = await store.database.kysely();
  return db.transaction().execute(async (trx) => {
    let count = 0;
    for (const table of SYNCED_TABLES) {
      const result = await trx
        .updateTable(envelopeTable(table))
        .set({ synced_version: 0 })
        .where('synced_version', '<>', 0)
        .executeTakeFirst();
      count += Number(result.numUpdatedRows);
    }
    return count;
  });
}
