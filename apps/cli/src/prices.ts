import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isPriceTableFile, loadPriceTable, PriceTable } from '@agentlogs/ingest';
import type { UsagePrices } from '@agentlogs/local-store';
import type { CommandContext } from './context.js';

/** The downloaded price table (`agentlogs prices refresh`), shared by every profile: `<data dir>/prices.json`. */
export function pricesCachePath(ctx: Pick<CommandContext, 'home'>): string {
  return path.join(ctx.home, 'prices.json');
}

/**
 * The prices in force: the downloaded table when there is one and it is not older than the table shipped
 * with agentlogs, else the shipped one. Never goes online. A damaged download is skipped with one warning.
 */
export function loadPrices(ctx: Pick<CommandContext, 'home' | 'err'>): PriceTable {
  const shipped = loadPriceTable();
  const file = pricesCachePath(ctx);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return shipped;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPriceTableFile(parsed)) throw new Error('not a price table');
    return parsed.date >= shipped.date ? new PriceTable(parsed) : shipped;
  } catch {
    ctx.err(
      `agentlogs: warning: ${file} is not a readable price table; using the prices shipped with agentlogs ('agentlogs prices refresh' downloads them again)`,
    );
    return shipped;
  }
}

/**
 * The prices in force (`loadPrices`), read when first used: an import that changes no turn, the common case, never
 * reads the table (its usage rollup is already up to date). Measured by `pnpm bench` (no-op import).
 */
export function pricesWhenUsed(ctx: Pick<CommandContext, 'home' | 'err'>): UsagePrices {
  let table: PriceTable | undefined;
  const prices = () => {
    table ??= loadPrices(ctx);
    return table;
  };
  return {
    get fingerprint() {
      return prices().fingerprint;
    },
    cost: (model, usage, speed) => prices().cost(model, usage, speed),
  };
}

/** The one line under a table that says where prices come from and how current they are. */
export function pricesLine(prices: { source: string; date: string }): string {
  const source = prices.source.replace(/\s*\((synced|fetched) \d{4}-\d{2}-\d{2}\)$/, '');
  return `Prices: ${source}, as of ${prices.date}.`;
}
