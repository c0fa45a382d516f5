export {
  AGENT_CATALOG,
  AGENTS,
  type AgentAdapter,
  type AgentEntry,
  type AgentId,
  type AgentRootSpec,
  claudeCode,
  codex,
  type FolderWalker,
  geminiCli,
  type LineReport,
  type OpenFileContext,
  qwenCode,
  type RootContext,
  type TranscriptFile,
  type TranscriptReader,
} from './agents/index.js';
export {
  type BillingBlock,
  BLOCK_HOURS,
  type BlockProjection,
  type BlocksOptions,
  type BlocksReport,
  type BurnRate,
  billingBlocks,
  computeBlocks,
  type UsageNow,
  type UsageNowOptions,
  usageNow,
} from './blocks.js';
export {
  type ClaudeLine,
  type ClaudeMessageLine,
  isGitCommitCall,
  parseGitCommitOutput,
  readClaudeLine,
  type ToolResult,
  type ToolUse,
} from './claude.js';
export { ClaudeAssembler, type ClaudeFileState, type ClaudeResumeLookup } from './claude-assembler.js';
export { CodexAssembler, type CodexFileState } from './codex.js';
export { discoverFiles, FolderLister, sortSessionFoldersFirst } from './files.js';
export { AGENTLOGS_NAMESPACE, rowId, uuidV5 } from './ids.js';
export {
  type AgentRoots,
  agentsWithRoots,
  type FileFailure,
  findTranscriptFiles,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  importTranscripts,
  type MalformedLineReport,
} from './import.js';
export {
  claudeSessionFiles,
  type FileImportOptions,
  type FileSet,
  importTranscriptFiles,
} from './import-files.js';
export {
  type LineReadOptions,
  type LineVisit,
  MAX_LINE_BYTES,
  readLinesFrom,
  readWholeFile,
  type TooLongLine,
} from './lines.js';
export { ParsePool, POOL_MIN_BYTES, parseWorkerCount } from './parse-pool.js';
export { type PipelineOptions, runImport } from './pipeline.js';
export {
  isPriceTableFile,
  LITELLM_PRICES_URL,
  loadPriceTable,
  type ModelPrice,
  PriceTable,
  type PriceTableFile,
  priceTableFromLiteLLM,
} from './pricing.js';
export type { CommitRecord, ProjectRecord, SessionRecord, Source, TurnRecord } from './records.js';
export { RecordBatch } from './records.js';
export { resolveAgentRoots, resolveClaudeRoots, resolveCodexRoots, TranscriptRootError } from './roots.js';
export {
  computeStats,
  type ModelFigures,
  STATS_GROUPINGS,
  type StatsFigures,
  type StatsGrouping,
  type StatsOptions,
  type StatsReport,
  type StatsRow,
  sameAgent,
  slotDateFormatter,
} from './stats.js';
export {
  checkClaudeUsage,
  MAX_COST_USD_PER_CALL,
  MAX_CUMULATIVE_TOKENS,
  MAX_TOKENS_PER_CALL,
  readClaudeUsage,
  type TokenUsage,
  usageTotal,
} from './usage.js';
