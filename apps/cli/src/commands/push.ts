import type { Command } from '../command.js';
import { DRY_RUN_HELP, executeOperation } from '../sync/execute.js';

export const pushCommand: Command = {
  name: 'push',
  summary: 'Send the records of this machine that the server does not have yet',
  usage: 'push [--dry-run] [--force] [--json]',
  help: `Options:
${DRY_RUN_HELP}
  --force     re-send every record, not only the pending ones (the server keeps what it already has)
  --json      print the report as JSON

Sends pending records in batches, parents first. When the server holds a newer version of a record, the
server's copy wins and replaces the local one (counted as a conflict). A record the server refuses for good is
parked as a dead letter ('agentlogs sync status' lists them) and the push goes on with the rest; the exit
code is then 1. Transient failures are retried with backoff (AGENTLOGS_SYNC_RETRIES, AGENTLOGS_SYNC_BACKOFF_MS).

Examples:
  agentlogs push --dry-run
  agentlogs push`,
  options: { 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  run: (ctx, args) => executeOperation(ctx, args, 'push'),
};
