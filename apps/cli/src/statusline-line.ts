/**
 * The statusline's input and its line, without the store: shared by `agentlogs statusline` and its fast path
 * (statusline-fast.ts), which prints the same line having loaded far less.
 */
import type { UsageNow } from '@agentlogs/ingest';

/** The part of Claude Code's status line input that the line uses. */
export interface StatuslineInput {
  session_id?: unknown;
  model?: { id?: unknown; display_name?: unknown };
  cost?: { total_cost_usd?: unknown };
  context_window?: { total_input_tokens?: unknown; context_window_size?: unknown };
}

const CONTEXT_WINDOW = 200_000;

/** stdin as the fast path read it, when it hands the run over to the full command. */
let handedOver: string | undefined;

/** Keeps stdin already read for the full command: the fast path read it before deciding to hand over. */
export function handOverStdin(text: string): void {
  handedOver = text;
}

/** The statusline's stdin: what the fast path read, else the stream to its end ('' from a terminal). */
export async function statuslineStdin(stream: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (handedOver !== undefined) {
    const text = handedOver;
    handedOver = undefined;
    return text;
  }
  // Run by hand in a terminal, it would wait for input that never comes.
  if (stream.isTTY) return '';
  return (await readToEnd(stream)).toString('utf8');
}

/** A stream's bytes to its end. */
export async function readToEnd(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The input as an object, or undefined when it is not Claude Code's JSON object. */
export function parseStatuslineInput(text: string): StatuslineInput | undefined {
  try {
    const input = JSON.parse(text) as unknown;
    return input && typeof input === 'object' && !Array.isArray(input)
      ? (input as StatuslineInput)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The session id Claude Code names, if any. */
export const inputSessionId = (input: StatuslineInput): string | undefined =>
  typeof input.session_id === 'string' ? input.session_id : undefined;

/** 85,000: grouped by hand (toLocaleString loads the locale data, about 17 ms per process). */
const grouped = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const money = (n: number) => `$${(Math.abs(n) < 0.005 ? 0 : n).toFixed(2)}`;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function left(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return `${Math.floor(m / 60)}h ${m % 60}m left`;
}

/** The line, from the input and the database's figures (see `agentlogs statusline --help`). */
export function statuslineText(input: StatuslineInput, figures: UsageNow): string {
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
