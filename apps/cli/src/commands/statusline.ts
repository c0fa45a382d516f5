import { type UsageNow, usageNow } from '@agentlogs/ingest';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { loadPrices } from '../prices.js';
import { inputSessionId, parseStatuslineInput, statuslineStdin, statuslineText } from '../statusline-line.js';
import type { specs } from './index.js';

export { statuslineText } from '../statusline-line.js';

/**
 * The full command: what `agentlogs statusline` runs when its fast path (statusline-fast.ts) hands over — an
 * option given, a database missing, older or newer than this agentlogs, one to adopt, or any error, which is
 * reported here as every command reports its errors.
 */
export const statuslineCommand: Command<OptionsOf<typeof specs.statusline>> = {
  name: 'statusline',
  async run(ctx: CommandContext) {
    const input = parseStatuslineInput(await statuslineStdin(process.stdin));
    if (!input) {
      throw new CliError("statusline reads Claude Code's status line JSON on stdin, and got something else", {
        exitCode: ExitCode.usage,
        hint: 'set it as Claude Code\'s statusLine command: "command": "agentlogs statusline"',
      });
    }
    const prices = loadPrices(ctx);
    const store = openStore(ctx, { access: 'read' });
    let figures: UsageNow;
    try {
      figures = usageNow(store, { sessionId: inputSessionId(input), prices });
    } catch (error) {
      throw storeError(store.translateError(error));
    } finally {
      await store.close();
    }
    ctx.out(statuslineText(input, figures));
    return ExitCode.ok;
  },
};
