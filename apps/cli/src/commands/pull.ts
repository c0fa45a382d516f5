import type { Command } from '../command.js';
import { DRY_RUN_HELP, executeOperation } from '../sync/execute.js';

export const pullCommand: Command = {
  name: 'pull',
  summary: 'Download what your other machines pushed since the last pull',
  usage: 'pull [--dry-run] [--json]',
  help: `Options:
${DRY_RUN_HELP}
  --json      print the report as JSON

Downloads every change after this machine's cursor (deletions included) and applies it under the conflict
rule: a local edit that is newer than the server's copy is kept (and pushed by the next push). Interrupted, a
pull keeps the pages it applied and continues from there next time.

Examples:
  agentlogs pull --dry-run
  agentlogs pull --json`,
  options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  run: (ctx, args) => executeOperation(ctx, args, 'pull'),
};
