import { renameSync, writeFileSync } from 'node:fs';
import { LITELLM_PRICES_URL, loadPriceTable, priceTableFromLiteLLM } from '@agentlogs/ingest';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { makeDir } from '../make-dir.js';
import { loadPrices, pricesCachePath, pricesLine } from '../prices.js';
import type { specs } from './index.js';

const TIMEOUT_MS = 30_000;

/** The address prices are downloaded from: AGENTLOGS_PRICES_URL, else LiteLLM's table on GitHub. */
function pricesUrl(ctx: CommandContext): URL {
  const raw = ctx.env.AGENTLOGS_PRICES_URL?.trim() || LITELLM_PRICES_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`AGENTLOGS_PRICES_URL is not a URL: "${raw}"`, {
      exitCode: ExitCode.config,
      hint: 'set it to an http(s) address of a LiteLLM model_prices_and_context_window.json, or unset it',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`AGENTLOGS_PRICES_URL must be an http(s) address, got "${raw}"`, {
      exitCode: ExitCode.config,
    });
  }
  return url;
}

async function download(url: URL): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new CliError(`could not download prices from ${url.host}: ${why}`, {
      exitCode: ExitCode.unavailable,
      hint: 'stats keeps using the prices it has; try again when online',
    });
  }
  if (!response.ok) {
    throw new CliError(`could not download prices from ${url.host}: HTTP ${response.status}`, {
      exitCode: ExitCode.unavailable,
      hint: 'stats keeps using the prices it has; try again later',
    });
  }
  try {
    return await response.json();
  } catch {
    throw new CliError(`the prices from ${url.host} are not JSON`, { exitCode: ExitCode.unavailable });
  }
}

const refresh: Command<OptionsOf<(typeof specs)['prices refresh']>> = {
  name: 'prices refresh',
  async run(ctx, args) {
    const url = pricesUrl(ctx);
    const raw = await download(url);
    const today = new Date().toISOString().slice(0, 10);
    let table: ReturnType<typeof priceTableFromLiteLLM>;
    try {
      table = priceTableFromLiteLLM(raw, `LiteLLM model_prices_and_context_window.json (${url.href})`, today);
    } catch (error) {
      throw new CliError(
        `the file at ${url.href} is not a LiteLLM price table: ${(error as Error).message}`,
        {
          exitCode: ExitCode.unavailable,
        },
      );
    }
    const file = pricesCachePath(ctx);
    makeDir(ctx.home);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(table)}\n`, { mode: 0o644 });
    renameSync(tmp, file);
    const models = Object.keys(table.models).length;
    if (args.values.json === true) {
      ctx.out(JSON.stringify({ source: table.source, date: table.date, models, file }, null, 2));
    } else {
      ctx.out(`Downloaded the prices of ${models.toLocaleString('en-US')} models; kept in ${file}.`);
      ctx.out(pricesLine(table));
    }
    return ExitCode.ok;
  },
};

const show: Command<OptionsOf<(typeof specs)['prices show']>> = {
  name: 'prices show',
  async run(ctx, args) {
    const prices = loadPrices(ctx);
    const file = pricesCachePath(ctx);
    const downloaded = prices !== loadPriceTable();
    const models = Object.keys(prices.file.models).length;
    if (args.values.json === true) {
      ctx.out(
        JSON.stringify({ source: prices.source, date: prices.date, models, downloaded, file }, null, 2),
      );
    } else {
      ctx.out(pricesLine(prices));
      ctx.out(
        downloaded
          ? `${models.toLocaleString('en-US')} models, downloaded by 'agentlogs prices refresh' (${file}).`
          : `${models.toLocaleString('en-US')} models, the table shipped with agentlogs ('agentlogs prices refresh' downloads current prices).`,
      );
    }
    return ExitCode.ok;
  },
};

export const pricesCommands = [refresh, show];
