import type { Command, OptionsOf } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { loadPrices } from '../prices.js';
import { wholeNumber } from '../reading/filters.js';
import { openLocalSyncStore } from '../sync/session.js';
import { visualFilesOf } from '../sync/visuals.js';
import { projectLink } from '../ui/remote.js';
import { startDashboard } from '../ui/server.js';
import type { specs } from './index.js';

export const uiCommand: Command<OptionsOf<typeof specs.ui>> = {
  name: 'ui',
  async run(ctx, args) {
    const port = wholeNumber(args.values.port, '--port', 0);
    if (port > 65535) throw usageError(`--port takes a port number up to 65535, got "${port}"`);
    const local = openLocalSyncStore(ctx, 'read');
    const link = projectLink(ctx);
    let dashboard: Awaited<ReturnType<typeof startDashboard>>;
    try {
      dashboard = await startDashboard({
        database: local.database,
        store: local.store,
        machineId: local.machineId,
        port,
        visualFiles: visualFilesOf(ctx),
        link,
        prices: loadPrices(ctx),
      });
    } catch (error) {
      await local.database.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw usageError(
          `port ${port} is in use`,
          'pick another with --port, or leave it out for a free one',
        );
      throw error;
    }
    ctx.out(`agentlogs dashboard: ${dashboard.url}`);
    ctx.out('Read-only, on this machine only. Ctrl-C stops it.');
    if (args.values['no-open'] !== true) {
      try {
        const { default: open } = await import('open');
        await open(dashboard.url);
      } catch {
        ctx.err('agentlogs ui: could not open a browser; open the URL above');
      }
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', () => resolve());
    });
    await dashboard.close();
    await link.close();
    await local.database.close();
    return ExitCode.ok;
  },
};
