import type { AgentAdapter } from './agent.js';
import { claudeCode } from './claude-code.js';
import { codex } from './codex.js';

export type {
  AgentAdapter,
  FolderWalker,
  LineReport,
  OpenFileContext,
  TranscriptFile,
  TranscriptReader,
} from './agent.js';
export { claudeCode, codex };

/** Every agent the importer reads, in import order. */
export const AGENTS: readonly AgentAdapter[] = [claudeCode, codex];
