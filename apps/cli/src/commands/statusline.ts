import { usageNow } from '@agentlogs/ingest';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { loadPrices } from '../prices.js';
import type { specs } from './index.js';

/** The part of Claude Code's status line input that the line uses. */
interface StatuslineInput {
  session_id?: unknown;
  model?: { id?: unknown; display_name?: unknown };
  cost?: { total_cost_usd?: unknown };
  context_window?: { total_input_tokens?: unknown; context_window_size?: unknown };
}

const CONTEXT_WINDOW = 200_000;

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** 85,000: grouped by hand (toLocaleString loads the locale data, about 17 ms per process). */
const grouped = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const money = (n: number) => `$${(Math.abs(n) < 0.005 ? 0 : n).toFixed(2)}`;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function left(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return `${Math.floor(m / 60)}h ${m % 60}m left`;
}

/** The line, from the input and the database's figures (see `agentlogs statusline --help`). */
export function statuslineText(input: StatuslineInput, figures: ReturnType<typeof usageNow>): string {
  const model =
    typeof input.model?.display_name === 'string'
      ? input.model.display_name
      : typeof input.model?.id === 'string'
        ? input.model.id
        : 'unknown model';
  const session = num(input.cost?.total_cost_usd) ?? figures.session_cost_usd;
  const block = figures.block;
  const parts = [
    `🤖 ${model}`,
    `💰 ${session === null ? 'N/A' : money(session)} session / ${money(figures.today_cost_usd)} today / ${
      block
        ? `${money(block.cost_usd)} block (${left(block.projection?.remaining_minutes ?? (Date.parse(block.end) - Date.now()) / 60_000)})`
        : 'No active block'
    }`,
  ];
  if (block?.burn_rate) parts.push(`🔥 ${money(block.burn_rate.cost_per_hour)}/hr`);
  const contextTokens = num(input.context_window?.total_input_tokens) ?? figures.session_context_tokens;
  if (contextTokens !== null) {
    const size = num(input.context_window?.context_window_size) ?? CONTEXT_WINDOW;
    parts.push(`🧠 ${grouped(contextTokens)} (${Math.round((contextTokens / size) * 100)}%)`);
  }
  return parts.join(' | ');
}

export const statuslineCommand: Command<OptionsOf<typeof specs.statusline>> = {
  name: 'statusline',
  async run(ctx: CommandContext) {
    // Run by hand in a terminal, it would wait for input that never comes.
    const text = process.stdin.isTTY ? '' : await readStdin(process.stdin);
    let input: StatuslineInput;
    try {
      input = JSON.parse(text) as StatuslineInput;
      if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('not an object');
    } catch {
      throw new CliError("statusline reads Claude Code's status line JSON on stdin, and got something else", {
        exitCode: ExitCode.usage,
        hint: 'set it as Claude Code\'s statusLine command: "command": "agentlogs statusline"',
      });
    }
    const prices = loadPrices(ctx);
    const store = openStore(ctx, { access: 'read' });
    let figures: ReturnType<typeof usageNow>;
    try {
      figures = usageNow(store, {
        sessionId: typeof input.session_id === 'string' ? input.session_id : undefined,
        prices,
      });
    } catch (error) {
      throw storeError(store.translateError(error));
    } finally {
      await store.close();
    }
    ctx.out(statuslineText(input, figures));
    return ExitCode.ok;
  },
};
