import type { AgentAdapter } from './agent.js';
import { amp } from './amp.js';
import { antigravityCli } from './antigravity-cli.js';
import { claudeCode } from './claude-code.js';
import { codex } from './codex.js';
import { copilotCli } from './copilot-cli.js';
import { droid } from './droid.js';
import { geminiCli } from './gemini-cli.js';
import { opencode } from './opencode.js';
import { qwenCode } from './qwen-code.js';

export type {
  AgentAdapter,
  FolderWalker,
  LineReport,
  OpenFileContext,
  TranscriptFile,
  TranscriptReader,
} from './agent.js';
export {
  AGENT_CATALOG,
  type AgentEntry,
  type AgentId,
  type AgentRootSpec,
  type RootContext,
} from './catalog.js';
export { amp, antigravityCli, claudeCode, codex, copilotCli, droid, geminiCli, opencode, qwenCode };

/**
 * Every agent the importer reads, in import order (the order of `AGENT_CATALOG`). Adding an agent: its entry in
 * `./catalog.ts`, its adapter file here, and a line in this list (docs/architecture.md has the steps).
 */
export const AGENTS: readonly AgentAdapter[] = [
  claudeCode,
  codex,
  opencode,
  geminiCli,
  qwenCode,
  copilotCli,
  amp,
  antigravityCli,
  droid,
];
