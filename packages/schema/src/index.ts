/**
 * The synced tables of agentlogs, stated once: their push order, their payload columns, how each column is
 * stored locally (SQLite) and on the server (Postgres), and which columns the local schema declares NOT NULL.
 *
 * Everything else is derived from this statement or checked against it: the local store's column lists and
 * record mapping (`@agentlogs/local-store`), the local schema's current columns (a test of local-store), the
 * server's tables and sync functions as `supabase/migrations` define them (a test against a real Postgres
 * with the migrations pushed by the Supabase CLI), and docs/data-model.md. The deterministic row ids of the
 * data model live here too (`./ids.ts`). No dependencies, no I/O.
 */

export { AGENTLOGS_ID_NAMESPACE, agentlogsUuid, rowId, uuidV5 } from './ids.js';

/**
 * How a column's values are stored. Every type travels in a payload as JSON: `timestamp` as an ISO-8601
 * string, `json` as the JSON text itself (so a payload round-trips byte for byte), flags as integers 0/1.
 */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'real' | 'timestamp' | 'json';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /**
   * Set when the local schema declares the column NOT NULL: the value a row takes when it is created from a
   * record whose payload lacks the column (a tombstone pulled with an empty payload).
   */
  readonly localNotNull?: string | number;
  /**
   * What the column holds when it is content rather than a metric (docs/privacy.md): `text` (prompts,
   * answers, tool calls and results, titles, file lists) leaves the machine only at the `redacted` and `full`
   * content levels; `path` (a filesystem path of the project) is reduced to its last component at `metrics`.
   * Columns without it (ids, timestamps, roles, models, token counts, costs, machine names) always travel.
   */
  readonly content?: ContentKind;
}

/** The kind of content a payload column holds (see `ColumnSpec.content`). */
export type ContentKind = 'text' | 'path';

export interface TableSpec {
  readonly name: string;
  /** The payload columns, `machine_id` first (the origin machine travels in the payload). */
  readonly columns: readonly ColumnSpec[];
  /** The table existed in agentlogs schema v1..v6 and carries its legacy sync columns (`sync_status`, …). */
  readonly legacySync: boolean;
}

const origin = { name: 'machine_id', type: 'text' } as const;
/**
 * The state of the record's content columns as it left its machine: a JSON object naming each `text` or `path`
 * column that is not plain (`redacted`, `withheld`, `encrypted`); null when every one is plain (docs/privacy.md).
 */
const contentState = { name: 'content_state', type: 'json' } as const;

/** The synced tables in push order (parents first) with their payload columns. */
export const SCHEMA = [
  {
    name: 'machines',
    legacySync: false,
    columns: [
      origin,
      { name: 'name', type: 'text' },
      { name: 'hostname', type: 'text' },
      { name: 'platform', type: 'text' },
      { name: 'last_seen_at', type: 'timestamp' },
    ],
  },
  {
    name: 'projects',
    legacySync: false,
    columns: [
      origin,
      { name: 'path', type: 'text', content: 'path' },
      { name: 'name', type: 'text', content: 'path' },
      contentState,
    ],
  },
  {
    name: 'sessions',
    legacySync: true,
    columns: [
      origin,
      { name: 'source', type: 'text' },
      { name: 'native_id', type: 'text' },
      { name: 'project_id', type: 'text' },
      { name: 'cwd', type: 'text', content: 'path' },
      { name: 'started_at', type: 'timestamp', localNotNull: '' },
      { name: 'ended_at', type: 'timestamp', localNotNull: '' },
      { name: 'title', type: 'text', content: 'text' },
      { name: 'commit_id', type: 'text' },
      contentState,
    ],
  },
  {
    name: 'cognitive_commits',
    legacySync: true,
    columns: [
      origin,
      { name: 'session_id', type: 'text' },
      { name: 'project_id', type: 'text' },
      { name: 'project_name', type: 'text', content: 'path' },
      { name: 'git_hash', type: 'text' },
      { name: 'started_at', type: 'timestamp', localNotNull: '' },
      { name: 'closed_at', type: 'timestamp', localNotNull: '' },
      { name: 'closed_by', type: 'text', localNotNull: '' },
      { name: 'parallel', type: 'integer' },
      { name: 'files_read', type: 'json', content: 'text' },
      { name: 'files_changed', type: 'json', content: 'text' },
      { name: 'published', type: 'integer' },
      { name: 'hidden', type: 'integer' },
      { name: 'display_order', type: 'integer' },
      { name: 'title', type: 'text', content: 'text' },
      { name: 'source', type: 'text' },
      contentState,
    ],
  },
  {
    name: 'turns',
    legacySync: true,
    columns: [
      origin,
      { name: 'session_id', type: 'text' },
      { name: 'commit_id', type: 'text' },
      { name: 'role', type: 'text', localNotNull: '' },
      { name: 'content', type: 'text', content: 'text' },
      { name: 'timestamp', type: 'timestamp', localNotNull: '' },
      { name: 'tool_calls', type: 'json', content: 'text' },
      { name: 'triggers_visual', type: 'integer' },
      { name: 'model', type: 'text' },
      { name: 'message_id', type: 'text' },
      { name: 'request_id', type: 'text' },
      { name: 'is_sidechain', type: 'integer', localNotNull: 0 },
      { name: 'agent_id', type: 'text' },
      { name: 'cwd', type: 'text', content: 'path' },
      { name: 'input_tokens', type: 'bigint', localNotNull: 0 },
      { name: 'output_tokens', type: 'bigint', localNotNull: 0 },
      /** All cache writes (5-minute and 1-hour). */
      { name: 'cache_creation_tokens', type: 'bigint', localNotNull: 0 },
      /** The 1-hour part of `cache_creation_tokens`. */
      { name: 'cache_creation_1h_tokens', type: 'bigint', localNotNull: 0 },
      { name: 'cache_read_tokens', type: 'bigint', localNotNull: 0 },
      { name: 'reasoning_tokens', type: 'bigint', localNotNull: 0 },
      /** The transcript's `costUSD`, or null when the cost comes from the price table. */
      { name: 'cost_usd', type: 'real' },
      { name: 'speed', type: 'text' },
      contentState,
    ],
  },
  {
    name: 'visuals',
    legacySync: true,
    columns: [
      origin,
      { name: 'commit_id', type: 'text' },
      { name: 'type', type: 'text', localNotNull: '' },
      { name: 'path', type: 'text', localNotNull: '', content: 'text' },
      { name: 'captured_at', type: 'timestamp', localNotNull: '' },
      { name: 'caption', type: 'text', content: 'text' },
      { name: 'cloud_url', type: 'text', content: 'text' },
      contentState,
      /** An image of a transcript: the turn that holds it and that turn's session. */
      { name: 'turn_id', type: 'text' },
      { name: 'session_id', type: 'text' },
      /** SHA-256 of the image bytes (hex): its file in the data folder and its object in Storage. */
      { name: 'sha256', type: 'text' },
      { name: 'media_type', type: 'text' },
      { name: 'byte_size', type: 'bigint' },
    ],
  },
] as const satisfies readonly TableSpec[];

export type SyncedTable = (typeof SCHEMA)[number]['name'];

/** The payload column names of one synced table. */
export type PayloadColumn<T extends SyncedTable> = Extract<
  (typeof SCHEMA)[number],
  { name: T }
>['columns'][number]['name'];

/** The synced tables in push order (parents first). */
export const SYNCED_TABLES: readonly SyncedTable[] = SCHEMA.map((table) => table.name);

/** The spec of one synced table. */
export function tableSpec(table: SyncedTable): TableSpec {
  return SCHEMA.find((spec) => spec.name === table) as TableSpec;
}

/** The payload columns of a table that hold content, with their kind (`ColumnSpec.content`). */
export function contentColumns(table: SyncedTable): { text: string[]; path: string[] } {
  const columns = tableSpec(table).columns;
  return {
    text: columns.filter((column) => column.content === 'text').map((column) => column.name),
    path: columns.filter((column) => column.content === 'path').map((column) => column.name),
  };
}

/** The fields of a record's envelope, as columns: the same names in SQLite and Postgres. */
export const ENVELOPE_COLUMNS = ['id', 'version', 'updated_at', 'deleted_at', 'device_id'] as const;

/**
 * Columns only the server keeps on a synced table, beside the envelope and the payload: the owner, the pull
 * cursor, the server time of the last accepted write, the purge mark.
 */
export const SERVER_ONLY_COLUMNS = ['user_id', 'change_seq', 'synced_at', 'purged_at'] as const;

/** Columns only the local store keeps on every synced table: the highest version the server acknowledged. */
export const LOCAL_ONLY_COLUMNS = ['synced_version'] as const;

/** How a column type is declared in SQLite (the local schema). */
export const SQLITE_TYPE: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  integer: 'integer',
  bigint: 'integer',
  real: 'real',
  timestamp: 'text',
  json: 'text',
};

/** How a column type is stored in Postgres, as `information_schema.columns.data_type` names it. */
export const POSTGRES_TYPE: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  real: 'double precision',
  timestamp: 'timestamp with time zone',
  json: 'text',
};
