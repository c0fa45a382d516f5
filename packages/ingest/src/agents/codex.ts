/** Codex CLI: rollouts in `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`. */
import { relative, sep } from 'node:path';
import { CodexAssembler, type CodexFileState } from '../codex.js';
import { sortSessionFoldersFirst } from '../files.js';
import type { AgentAdapter, TranscriptReader } from './agent.js';
import { codexEntry } from './catalog.js';

export const codex: AgentAdapter = {
  id: codexEntry.id,
  displayName: codexEntry.displayName,
  roots: codexEntry.roots,
  listFiles(root, folders) {
    const paths = folders.jsonlFiles(root);
    sortSessionFoldersFirst(paths);
    return paths;
  },
  openFile(file, context): TranscriptReader {
    // A rollout without a session id is named after its path under the root.
    const rel = relative(file.root, file.path)
      .split(sep)
      .join('/')
      .replace(/\.jsonl$/, '');
    const assembler = new CodexAssembler(rel, context.state as CodexFileState | undefined);
    return {
      get batch() {
        return assembler.batch;
      },
      readLine(text, line, report) {
        const outcome = assembler.add(text, line);
        if (typeof outcome === 'object') report.malformed(outcome.malformed);
      },
      takeBatch: () => assembler.takeBatch(),
      state: () => assembler.st,
    };
  },
};
