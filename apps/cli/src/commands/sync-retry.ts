import type { Command, OptionsOf } from '../command.js';
import { ExitCode } from '../errors.js';
import { storeError } from '../open-store.js';
import { openLocalSyncStore } from '../sync/session.js';
import type { specs } from './index.js';

export const syncRetryCommand: Command<OptionsOf<(typeof specs)['sync retry']>> = {
  name: 'sync retry',
  async run(ctx) {
    const session = openLocalSyncStore(ctx);
    let released: number;
    try {
      released = await session.store.retryDeadLetters();
    } catch (error) {
      throw storeError(session.database.translateError(error));
    } finally {
      await session.database.close();
    }
    ctx.out(
      released === 0
        ? 'No parked records.'
        : `${released.toLocaleString('en-US')} parked records are pending again; run 'agentlogs sync' to send them.`,
    );
    return ExitCode.ok;
  },
};
