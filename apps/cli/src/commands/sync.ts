import type { Command } from '../command.js';
import { usageError } from '../errors.js';
import { DRY_RUN_HELP, executeOperation } from '../sync/execute.js';
import { runWatch } from '../sync/watch.js';
import { runSyncStatus } from './sync-status.js';

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Pull, push, pull: bring this machine and the server level (--watch: keep them level)',
  usage:
    'sync [--dry-run] [--json]\n       agentlogs sync --watch [--claude-dir DIR]... [--codex-dir DIR]...\n       agentlogs sync --status [--json]',
  help: `Options:
${DRY_RUN_HELP}
  --json      print the report as JSON
  --status    same as 'agentlogs sync status'
  --watch     keep running: watch the transcript folders, import new lines and push them (after 500 ms of
              quiet), pull every 30 s (at once on a Supabase Realtime hint), retry with backoff when the
              network or the server is down.
              Ctrl-C or SIGTERM stops it after the request in flight. See docs/sync-service.md to run it
              as a systemd user service or a launchd agent.
  --claude-dir DIR, --codex-dir DIR   with --watch: the folders to watch (defaults as for 'agentlogs import')

A sync pulls first (so conflicts are decided against the newest server copy), pushes what is pending, and
pulls again until nothing is left to send (at most 5 rounds). Sync needs 'agentlogs login' first;
AGENTLOGS_SYNC_ENABLED=false turns every network sync off.

Environment: AGENTLOGS_SYNC_RETRIES (default 4), AGENTLOGS_SYNC_BACKOFF_MS (first retry delay, default
15000, doubling up to AGENTLOGS_SYNC_BACKOFF_MAX_MS, default 300000), AGENTLOGS_SYNC_BATCH_SIZE (records per
push request, default 500), AGENTLOGS_SYNC_PULL_INTERVAL_MS (--watch, default 30000), AGENTLOGS_WATCH_SCAN_MS
(--watch folder rescan, default 10000), AGENTLOGS_SYNC_REALTIME=false (--watch without the Realtime hint).

Examples:
  agentlogs sync
  agentlogs sync --dry-run --json
  agentlogs sync --watch`,
  options: {
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    status: { type: 'boolean' },
    watch: { type: 'boolean' },
    'claude-dir': { type: 'string', multiple: true },
    'codex-dir': { type: 'string', multiple: true },
  },
  async run(ctx, args) {
    const { status, watch } = args.values;
    if (status === true) {
      if (watch === true || args.values['dry-run'] === true)
        throw usageError('--status cannot be combined with --watch or --dry-run');
      return runSyncStatus(ctx, args.values.json === true);
    }
    if (watch === true) {
      if (args.values['dry-run'] === true || args.values.json === true) {
        throw usageError('--watch cannot be combined with --dry-run or --json');
      }
      return runWatch(ctx, args);
    }
    if (args.values['claude-dir'] !== undefined || args.values['codex-dir'] !== undefined) {
      throw usageError(
        '--claude-dir and --codex-dir go with --watch',
        "to import once, run 'agentlogs import'",
      );
    }
    return executeOperation(ctx, args, 'sync');
  },
};
