#!/usr/bin/env node
import module from 'node:module';
import { isMainThread } from 'node:worker_threads';

// Node ≥ 22.1 keeps the bundle's compiled code between runs (in the system's temporary folder, or where
// NODE_COMPILE_CACHE points): commands run on every turn of an agent start sooner. Absent on Node 20.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// dist/ is a minified bundle with source maps; AGENTLOGS_DEBUG (which also prints an unexpected error's
// stack) maps stack frames of the chunks loaded from here on back to the TypeScript sources.
if (process.env.AGENTLOGS_DEBUG) process.setSourceMapsEnabled(true);

/**
 * `agentlogs statusline`, run after every response of Claude Code, answers from a path of its own that loads
 * neither the command table nor the store package; it hands anything unusual over to main().
 */
async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === 'statusline') {
    const { fastStatusline } = await import('./statusline-fast.js');
    const code = await fastStatusline(process.env);
    if (code !== undefined) return code;
  }
  const { main } = await import('./main.js');
  return main(argv);
}

// The import's parse workers load bundle chunks, which may import this module (the bundler's helpers can land
// here): only the main thread runs the CLI.
if (isMainThread) {
  run(process.argv.slice(2)).then(
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
