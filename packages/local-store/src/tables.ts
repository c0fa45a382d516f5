/**
 * The synced tables as the local store sees them, derived from the schema spec (`@agentlogs/schema`, the one
 * statement of the synced tables and columns; docs/data-model.md): push order, the payload columns of each
 * table, the values NOT NULL columns take when a payload lacks them, and the tables with legacy sync columns.
 * A payload key is always the column's name; `machine_id` travels in the payload because the sync envelope
 * has no field for it.
 */
import { SCHEMA, SYNCED_TABLES, type SyncedTable } from '@agentlogs/schema';

export { SYNCED_TABLES, type SyncedTable };

function perTable<T>(value: (table: (typeof SCHEMA)[number]) => T): Readonly<Record<SyncedTable, T>> {
  return Object.fromEntries(SCHEMA.map((table) => [table.name, value(table)])) as Record<SyncedTable, T>;
}

/** The payload columns of each synced table, in the spec's order (`machine_id` first). */
export const PAYLOAD_COLUMNS: Readonly<Record<SyncedTable, readonly string[]>> = perTable((table) =>
  table.columns.map((column) => column.name),
);

/**
 * Values used when a row must be created from a record whose payload lacks a column that is NOT NULL
 * in SQLite (a tombstone pulled with an empty payload for a row this device never had). The v1 schema
 * declared these columns NOT NULL; the other columns take their SQL default or NULL.
 */
export const NOT_NULL_FILL: Readonly<Record<SyncedTable, Readonly<Record<string, string | number>>>> =
  perTable((table) =>
    Object.fromEntries(
      table.columns.flatMap((column) =>
        'localNotNull' in column ? [[column.name, column.localNotNull as string | number]] : [],
      ),
    ),
  );

/** Tables that existed in schema v1..v6 and carry the legacy sync columns (`sync_status`, …). */
export const LEGACY_SYNC_TABLES: readonly SyncedTable[] = SCHEMA.filter((table) => table.legacySync).map(
  (table) => table.name,
);

export function isSyncedTable(table: string): table is SyncedTable {
  return (SYNCED_TABLES as readonly string[]).includes(table);
}
