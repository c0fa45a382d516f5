import { createInterface } from 'node:readline/promises';
import { markEverythingPending } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { openLocalSyncStore } from '../sync/session.js';
import type { specs } from './index.js';

export const syncResetCommand: Command<OptionsOf<(typeof specs)['sync reset']>> = {
  name: 'sync reset',
  async run(ctx, args) {
    if (args.values.yes !== true) {
      if (!process.stdin.isTTY || ctx.stdout !== process.stdout) {
        throw usageError('sync reset needs confirmation', "run 'agentlogs sync reset --yes' to confirm");
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const onAbort = () => rl.close();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let answer = '';
      try {
        answer = await rl.question(
          'The next sync will download and compare every record again. Continue? [y/N] ',
        );
      } catch {
        answer = '';
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
        rl.close();
      }
      if (ctx.signal.aborted)
        throw new CliError('interrupted; nothing was changed', { exitCode: ExitCode.interrupted });
      if (!/^y(es)?$/i.test(answer.trim())) {
        ctx.out('Nothing was changed.');
        return ExitCode.failure;
      }
    }
    const session = openLocalSyncStore(ctx);
    try {
      const count = await markEverythingPending(session.store);
      await session.store.applyServerRecords([], 0);
      ctx.out(
        `Reset: ${count.toLocaleString('en-US')} records will be compared with the server and the pull starts from the beginning. Run 'agentlogs sync'.`,
      );
    } finally {
      await session.database.close();
    }
    return ExitCode.ok;
  },
};
