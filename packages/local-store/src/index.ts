export {
  type AdoptLegacyOptions,
  adoptLegacyDatabase,
  type LegacyAdoption,
  legacyAdoptionPending,
  legacyBackupDir,
} from './adopt.js';
export { AgentDatabase, AgentDatabaseError } from './agent-database.js';
export {
  type CommitView,
  findCommit,
  findCommitsByPrefix,
  getCommitView,
  type ListCommitViewsOptions,
  listCommitViews,
} from './commit-views.js';
export { type CommitSummary, getCommit, type ListCommitsOptions, listCommits } from './commits.js';
export { type StoreConnection, sqliteOf } from './connection.js';
export { openCurrentReadOnly, SCHEMA_VERSION } from './database-file.js';
export {
  isLocalStoreBusyError,
  isLocalStoreError,
  isSqliteBusy,
  LocalStoreBusyError,
  LocalStoreError,
  type LocalStoreErrorCode,
  MigrationFailedError,
  SchemaTooNewError,
  translateSqliteError,
} from './errors.js';
export { type DatabaseInspection, type ImportedFile, inspectDatabase } from './health.js';
export { AGENTLOGS_ID_NAMESPACE, agentlogsUuid, rowId, uuidV5 } from './ids.js';
export {
  DEFERRED_TURN_INDEXES,
  type FolderListing,
  type ImportCursor,
  ImportCursors,
  TranscriptImport,
  type TranscriptImportOptions,
} from './import-cursors.js';
export { type FoldCounts, LegacyFolder, type LegacyLine } from './legacy-fold.js';
export {
  listMachineTotals,
  type MachineIdentity,
  type MachineTotals,
  recordMachine,
} from './machines.js';
export {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  type Migration,
  type MigrationContext,
  type MigrationReport,
  type MigrationStepReport,
  type MigrationStepStatus,
  readSchemaVersion,
  runMigrations,
} from './migrations.js';
export {
  DATABASE_FILE_NAME,
  DEFAULT_BUSY_TIMEOUT_MS,
  ensureDirectory,
  LEGACY_DATABASE_PATH,
  type LocalDatabase,
  type OpenLocalStoreOptions,
  openLocalDatabase,
} from './open.js';
export {
  listPendingRecords,
  markEverythingPending,
  outboxEnvelopePages,
  outboxEnvelopes,
  type PendingRecord,
} from './outbox.js';
export {
  type ContentEncryption,
  type ContentPolicyOptions,
  contentColumnsOf,
  encodeContentState,
  globToRegExp,
  mustReupload,
  type OutgoingPayload,
  openIncomingPayload,
  outgoingPayload,
  ProjectExclusion,
  parseContentState,
  type RedactionPreview,
  uploadForm,
} from './outgoing.js';
export {
  type CommitRecord,
  type ProjectRecord,
  RecordBatch,
  type SessionRecord,
  type Source,
  type StoredTurnLookup,
  type TokenUsage,
  type ToolUse,
  type TurnRecord,
  type VisualRecord,
} from './records.js';
export type * from './schema.js';
export {
  flushSearchIndex,
  pendingSearchTurns,
  type SearchColumn,
  type SearchHit,
  type SearchOptions,
  type SearchResult,
  type SearchStatus,
  searchStatus,
  searchTurns,
  toMatchQuery,
} from './search-index.js';
export {
  findSessionIds,
  getSessionView,
  listSessionTurns,
  listSessionViews,
  type SessionFilter,
  type SessionPage,
  type SessionView,
  sessionIdsMatching,
  type TurnPage,
  type TurnView,
  type TurnVisual,
} from './session-views.js';
export {
  type BackupProgress,
  type BackupProgressOptions,
  EXPORT_FORMAT,
  exportJsonLines,
  type RestoreCounts,
  restoreBackup,
  type SnapshotCounts,
  snapshotDatabase,
} from './snapshot.js';
export { SqliteSyncStore, type SqliteSyncStoreOptions, type SyncOutcome } from './sync-store.js';
export {
  isSyncedTable,
  LEGACY_SYNC_TABLES,
  NOT_NULL_FILL,
  PAYLOAD_COLUMNS,
  SYNCED_TABLES,
  type SyncedTable,
} from './tables.js';
export { emptyCounts, TranscriptWriter, type WriteCounts } from './transcript-writer.js';
export {
  buildUsageRollup,
  parseRollup,
  ROLLUP_WIDTH,
  type RollupRow,
  readSessionFacts,
  readUsageEntries,
  readUsageSnapshot,
  refreshUsageRollup,
  rollupEntries,
  type SessionFacts,
  SLOT_MS,
  type StoredRollup,
  storeUsageRollup,
  stringifyRollup,
  type UsageEntry,
  type UsagePrices,
  type UsageSnapshot,
} from './usage-rollup.js';
export { newVersionSql } from './versions.js';
export {
  sha256Hex,
  VISUAL_MEDIA_TYPES,
  type VisualFile,
  VisualFiles,
  visualExtension,
} from './visual-files.js';
export {
  findVisuals,
  forgetVisualObjects,
  listVisuals,
  recordedVisualObjects,
  recordVisualObjects,
  type VisualView,
  visualsToUpload,
} from './visuals.js';
