#!/usr/bin/env node
import { isMainThread } from 'node:worker_threads';
import { main } from './main.js';

// dist/ is a minified bundle with source maps; AGENTLOGS_DEBUG (which also prints an unexpected error's
// stack) maps stack frames of the chunks loaded from here on back to the TypeScript sources.
if (process.env.AGENTLOGS_DEBUG) process.setSourceMapsEnabled(true);

// The import's parse workers load the bundle chunk that imports this module: only the main thread runs the CLI.
if (isMainThread) void runCli();

function runCli(): Promise<void> {
  return main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // main() has its own error boundary; this only catches bugs in it.
      process.stderr.write(
        `agentlogs: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = 70;
    },
  );
}
