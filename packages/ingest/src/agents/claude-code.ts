/** Claude Code: `~/.claude/projects/<project>/<session>.jsonl`, with subagent files in `<session>/subagents/`. */
import { basename } from 'node:path';
import type { LegacyLine } from '@agentlogs/local-store';
import { type ClaudeLine, readClaudeLine } from '../claude.js';
import { ClaudeAssembler, type ClaudeFileState } from '../claude-assembler.js';
import { sortSessionFoldersFirst } from '../files.js';
import type { AgentAdapter, LineReport, TranscriptReader } from './agent.js';
import { claudeCodeEntry } from './catalog.js';

export const claudeCode: AgentAdapter = {
  id: claudeCodeEntry.id,
  displayName: claudeCodeEntry.displayName,
  roots: claudeCodeEntry.roots,
  listFiles(root, folders) {
    const paths = folders.jsonlFiles(root);
    sortSessionFoldersFirst(paths);
    return paths;
  },
  legacyFileName: (file) => basename(file.path, '.jsonl'),
  parseLine(text) {
    const entry = readClaudeLine(text);
    return entry === null || entry.kind === 'other' ? null : entry;
  },
  openFile(file, context): TranscriptReader {
    // A session without a session id in its lines is named after its file.
    const fallback = basename(file.path, '.jsonl');
    const assembler = new ClaudeAssembler(
      fallback,
      context.lookup,
      context.resumed,
      context.state as ClaudeFileState | undefined,
      Math.min(256, context.batchSize),
    );
    const legacyLines = context.collectLegacyLines ? new Map<string, LegacyLine>() : null;
    const readParsed = (parsed: unknown, line: number, report: LineReport) => {
      const entry = parsed as ClaudeLine | null;
      if (entry === null || entry.kind === 'other') return;
      if (entry.kind === 'malformed') {
        report.malformed(entry.reason);
        return;
      }
      if (entry.usageNotCompact) report.usageNotCompact();
      if (legacyLines !== null && entry.uuid !== null)
        legacyLines.set(entry.uuid, {
          sessionId: entry.sessionId ?? fallback,
          messageId: entry.messageId,
          requestId: entry.requestId,
        });
      assembler.add(entry, line);
    };
    return {
      get batch() {
        return assembler.batch;
      },
      readLine: (text, line, report) => readParsed(readClaudeLine(text), line, report),
      readParsed,
      takeBatch: () => assembler.takeBatch(),
      state: () => assembler.state(),
      legacyLines: () => legacyLines ?? new Map(),
    };
  },
};
