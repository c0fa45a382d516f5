/**
 * The typed shape of the local database at `LATEST_SCHEMA_VERSION`, for `Kysely<Database>`.
 * Column names are those of docs/data-model.md. Booleans are integers 0/1; timestamps ISO-8601 text.
 */
import type { Generated } from 'kysely';

/** Columns every synced table carries. */
export interface SyncEnvelopeColumns {
  id: string;
  /** Edit counter: 1 at creation, +1 per local edit. */
  version: Generated<number>;
  updated_at: string | null;
  deleted_at: string | null;
  device_id: string | null;
  machine_id: string | null;
  /** Highest version the server acknowledged (0: never). Pending for push when `version > synced_version`. */
  synced_version: Generated<number>;
}

/** Columns of schema v6 on the four original tables; kept coherent with `version`/`synced_version` by triggers. */
export interface LegacySyncColumns {
  cloud_id: string | null;
  sync_status: Generated<string | null>;
  cloud_version: Generated<number | null>;
  local_version: Generated<number | null>;
}

export interface MachinesTable extends SyncEnvelopeColumns {
  name: string | null;
  hostname: string | null;
  platform: string | null;
  last_seen_at: string | null;
}

export interface ProjectsTable extends SyncEnvelopeColumns {
  /** The states of the content columns that are not plain, as JSON (docs/privacy.md); null when all are. */
  content_state: string | null;
  path: string | null;
  name: string | null;
}

export interface SessionsTable extends SyncEnvelopeColumns, LegacySyncColumns {
  /** The states of the content columns that are not plain, as JSON (docs/privacy.md); null when all are. */
  content_state: string | null;
  commit_id: string | null;
  started_at: string;
  ended_at: string;
  source: Generated<string | null>;
  native_id: string | null;
  project_id: string | null;
  cwd: string | null;
  title: string | null;
  /** The row's id in an earlier release's database (before it took its deterministic id). Local only. */
  legacy_id: string | null;
}

export interface CognitiveCommitsTable extends SyncEnvelopeColumns, LegacySyncColumns {
  /** The states of the content columns that are not plain, as JSON (docs/privacy.md); null when all are. */
  content_state: string | null;
  git_hash: string | null;
  started_at: string;
  closed_at: string;
  closed_by: string;
  parallel: Generated<number | null>;
  files_read: string | null;
  files_changed: string | null;
  published: Generated<number | null>;
  hidden: Generated<number | null>;
  display_order: Generated<number | null>;
  title: string | null;
  project_name: string | null;
  source: Generated<string | null>;
  last_synced_at: string | null;
  // Later agentlogs releases (schema v7..v10); local only.
  prompt_count: Generated<number | null>;
  public_slug: string | null;
  published_at: string | null;
  rejection_count: Generated<number | null>;
  approval_count: Generated<number | null>;
  sentiment_label: string | null;
  // This project (v11).
  session_id: string | null;
  project_id: string | null;
  /** The row's id in an earlier release's database. Local only. */
  legacy_id: string | null;
}

export interface TurnsTable extends SyncEnvelopeColumns, LegacySyncColumns {
  /** The states of the content columns that are not plain, as JSON (docs/privacy.md); null when all are. */
  content_state: string | null;
  session_id: string | null;
  role: string;
  content: string | null;
  timestamp: string;
  tool_calls: string | null;
  triggers_visual: Generated<number | null>;
  model: string | null;
  // Later agentlogs releases (schema v10); local only.
  has_rejection: Generated<number | null>;
  has_approval: Generated<number | null>;
  is_question: Generated<number | null>;
  has_code_block: Generated<number | null>;
  char_count: Generated<number | null>;
  // This project (v11).
  commit_id: string | null;
  message_id: string | null;
  request_id: string | null;
  is_sidechain: Generated<number>;
  agent_id: string | null;
  cwd: string | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  /** All cache writes (5-minute and 1-hour). */
  cache_creation_tokens: Generated<number>;
  /** The 1-hour part of `cache_creation_tokens`. */
  cache_creation_1h_tokens: Generated<number>;
  cache_read_tokens: Generated<number>;
  reasoning_tokens: Generated<number>;
  /** The transcript's `costUSD`, or null when cost comes from the price table. */
  cost_usd: number | null;
  speed: string | null;
  /** The row's id in an earlier release's database. Local only. */
  legacy_id: string | null;
}

export interface VisualsTable extends SyncEnvelopeColumns, LegacySyncColumns {
  /** The states of the content columns that are not plain, as JSON (docs/privacy.md); null when all are. */
  content_state: string | null;
  commit_id: string | null;
  type: string;
  path: string;
  captured_at: string;
  caption: string | null;
  cloud_url: string | null;
  turn_id: string | null;
  session_id: string | null;
  sha256: string | null;
  media_type: string | null;
  byte_size: number | null;
}

/** Objects of the visuals bucket this profile's project holds (local only). */
export interface VisualUploadsTable {
  object_name: string;
  uploaded_at: string;
}

export interface DaemonStateTable {
  key: string;
  value: string | null;
}

export interface SchemaVersionTable {
  version: number;
}

/** Per-file import cursor (one row per transcript file). */
export interface ImportFilesTable {
  /** Absolute path of the transcript file. */
  path: string;
  /** The agent: `claude_code` | `codex` | `opencode` | `gemini_cli` | `qwen_code` | `copilot_cli` | `amp` | `antigravity_cli` | `droid` (`Source`). */
  source: string;
  /** File size in bytes when last read. */
  size: Generated<number>;
  /** File mtime in milliseconds when last read. */
  mtime_ms: Generated<number>;
  /** Byte offset just after the last complete line consumed; reading resumes here. */
  byte_offset: Generated<number>;
  /** Lines consumed up to `byte_offset` (for file:line in reports). */
  line_count: Generated<number>;
  /** Importer-defined hash of the file's first bytes, to notice a rewrite. */
  head_hash: string | null;
  /** Session the file belongs to. */
  session_id: string | null;
  /** Importer-defined JSON: parser state at `byte_offset` (the open message, the open commit segment…). */
  state: string | null;
  malformed_lines: Generated<number>;
  imported_at: string | null;
}

/** What a transcript folder held when the importer last listed it (one row per folder). */
export interface ImportFoldersTable {
  /** The folder's path as the importer builds it. */
  path: string;
  /** The folder's mtime when listed (entries added, removed or renamed change it). */
  mtime_ms: number;
  /** When it was listed (epoch ms): a listing taken within 2 s of the mtime is not trusted. */
  listed_at_ms: number;
  /** JSON array of the names of its subfolders. */
  folders: string;
  /** JSON array of the names of its `.jsonl` files. */
  files: string;
}

export interface SyncStateTable {
  key: string;
  value: string | null;
}

export interface DeadLettersTable {
  table_name: string;
  id: string;
  version: number;
  code: string;
  message: string;
  at: string;
}

export interface ResyncSeenTable {
  table_name: string;
  id: string;
}

export interface PurgedRecordsTable {
  table_name: string;
  id: string;
  purged_at: string;
}

/**
 * Derived usage totals per (session, 15-minute UTC slot, model, machine), rebuilt by stats when stale: each
 * response's usage counts once (in the slot of the turn that carries it), every turn counts in `turns`.
 * One row (`id` = 1); the totals are JSON in `data` (format: `packages/ingest/src/stats.ts`, docs/data-model.md).
 */
export interface UsageRollupTable {
  id: number;
  /** 0 after any write to a turn column the rollup is computed from (triggers on `turns`). */
  valid: number;
  /** Hash of the price table the costs in `data` were computed with. */
  prices: string | null;
  data: string | null;
}

export interface Database {
  machines: MachinesTable;
  projects: ProjectsTable;
  sessions: SessionsTable;
  cognitive_commits: CognitiveCommitsTable;
  turns: TurnsTable;
  visuals: VisualsTable;
  visual_uploads: VisualUploadsTable;
  daemon_state: DaemonStateTable;
  schema_version: SchemaVersionTable;
  import_files: ImportFilesTable;
  import_folders: ImportFoldersTable;
  sync_state: SyncStateTable;
  dead_letters: DeadLettersTable;
  resync_seen: ResyncSeenTable;
  purged_records: PurgedRecordsTable;
  usage_rollup: UsageRollupTable;
}
