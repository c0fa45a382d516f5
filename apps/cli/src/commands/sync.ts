import { agentDirOptions } from '../agent-options.js';
import type { Command, OptionsOf } from '../command.js';
import { usageError } from '../errors.js';
import { executeOperation } from '../sync/execute.js';
import { runWatch } from '../sync/watch.js';
import type { specs } from './index.js';
import { runSyncStatus } from './sync-status.js';

export const syncCommand: Command<OptionsOf<typeof specs.sync>> = {
  name: 'sync',
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
    const given = Object.keys(agentDirOptions).filter(
      (flag) => (args.values as Record<string, unknown>)[flag] !== undefined,
    );
    if (given.length > 0) {
      throw usageError(
        `${given.map((flag) => `--${flag}`).join(' and ')} ${given.length > 1 ? 'go' : 'goes'} with --watch`,
        "to import once, run 'agentlogs import'",
      );
    }
    return executeOperation(ctx, args, 'sync');
  },
};
