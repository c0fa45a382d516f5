export {
  type AdoptLegacyOptions,
  adoptLegacyDatabase,
  type LegacyAdoption,
  legacyAdoptionPending,
  legacyBackupDir,
} from './adopt.js';
export {
  type CommitView,
  findCommit,
  findCommitsByPrefix,
  getCommitView,
  type ListCommitViewsOptions,
  listCommitViews,
} from './commit-views.js';
export { type CommitSummary, getCommit, type ListCommitsOptions, listCommits } from './commits.js';
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
export { AGENTLOGS_ID_NAMESPACE, agentlogsUuid, rowId, uuidV5 } from './ids.js';
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
  LEGACY_DATABASE_PATH,
  type LocalDatabase,
  type OpenLocalStoreOptions,
  openLocalDatabase,
} from './open.js';
export {
  listPendingRecords,
  markEverythingPending,
  outboxEnvelopes,
  type PendingRecord,
} from './outbox.js';
export {
  type ContentPolicyOptions,
  contentColumnsOf,
  encodeContentState,
  globToRegExp,
  type OutgoingPayload,
  outgoingPayload,
  ProjectExclusion,
  parseContentState,
  type RedactionPreview,
} from './outgoing.js';
export type * from './schema.js';
export { SqliteSyncStore, type SqliteSyncStoreOptions, type SyncOutcome } from './sync-store.js';
export {
  isSyncedTable,
  LEGACY_SYNC_TABLES,
  NOT_NULL_FILL,
  PAYLOAD_COLUMNS,
  SYNCED_TABLES,
  type SyncedTable,
} from './tables.js';
export { newVersionSql } from './versions.js';
