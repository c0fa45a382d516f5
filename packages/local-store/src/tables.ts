/**
 * The synced tables as sync sees them: push order (parents first) and the payload columns of each
 * (docs/data-model.md). A payload key is always the column's name; `machine_id` travels in the payload
 * because the sync envelope has no field for it.
 */

export const SYNCED_TABLES = [
  'machines',
  'projects',
  'sessions',
  'cognitive_commits',
  'turns',
  'visuals',
] as const;

export type SyncedTable = (typeof SYNCED_TABLES)[number];

export const PAYLOAD_COLUMNS: Readonly<Record<SyncedTable, readonly string[]>> = {
  machines: ['machine_id', 'name', 'hostname', 'platform', 'last_seen_at'],
  projects: ['machine_id', 'path', 'name'],
  sessions: [
    'machine_id',
    'source',
    'native_id',
    'project_id',
    'cwd',
    'started_at',
    'ended_at',
    'title',
    'commit_id',
  ],
  cognitive_commits: [
    'machine_id',
    'session_id',
    'project_id',
    'project_name',
    'git_hash',
    'started_at',
    'closed_at',
    'closed_by',
    'parallel',
    'files_read',
    'files_changed',
    'published',
    'hidden',
    'display_order',
    'title',
    'source',
  ],
  turns: [
    'machine_id',
    'session_id',
    'commit_id',
    'role',
    'content',
    'timestamp',
    'tool_calls',
    'triggers_visual',
    'model',
    'message_id',
    'request_id',
    'is_sidechain',
    'agent_id',
    'cwd',
    'input_tokens',
    'output_tokens',
    'cache_creation_tokens',
    'cache_creation_1h_tokens',
    'cache_read_tokens',
    'reasoning_tokens',
    'cost_usd',
    'speed',
  ],
  visuals: ['machine_id', 'commit_id', 'type', 'path', 'captured_at', 'caption', 'cloud_url'],
};

/**
 * Values used when a row must be created from a record whose payload lacks a column that is NOT NULL
 * in SQLite (a tombstone pulled with an empty payload for a row this device never had). The v1 schema
 * declared these columns NOT NULL; the other columns take their SQL default or NULL.
 */
export const NOT_NULL_FILL: Readonly<Record<SyncedTable, Readonly<Record<string, string | number>>>> = {
  machines: {},
  projects: {},
  sessions: { started_at: '', ended_at: '' },
  cognitive_commits: { started_at: '', closed_at: '', closed_by: '' },
  turns: {
    role: '',
    timestamp: '',
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_tokens: 0,
    cache_creation_1h_tokens: 0,
    cache_read_tokens: 0,
    reasoning_tokens: 0,
    is_sidechain: 0,
  },
  visuals: { type: '', path: '', captured_at: '' },
};

/** Tables that existed in schema v1..v6 and carry the legacy sync columns (`sync_status`, …). */
export const LEGACY_SYNC_TABLES: readonly SyncedTable[] = [
  'cognitive_commits',
  'sessions',
  'turns',
  'visuals',
];

export function isSyncedTable(table: string): table is SyncedTable {
  return (SYNCED_TABLES as readonly string[]).includes(table);
}
