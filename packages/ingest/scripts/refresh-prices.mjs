#!/usr/bin/env node
// Regenerates data/prices.json (the price table shipped with agentlogs) from LiteLLM's model price table,
// with the conversion `agentlogs prices refresh` uses (priceTableFromLiteLLM in src/pricing.ts; run
// `pnpm --filter @agentlogs/ingest build` first).
//
//   node scripts/refresh-prices.mjs                 # download the current table
//   node scripts/refresh-prices.mjs --from FILE     # use a local copy of model_prices_and_context_window.json
//   node scripts/refresh-prices.mjs --source TEXT   # record where --from came from
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LITELLM_PRICES_URL, priceTableFromLiteLLM } from '../dist/pricing.js';

const url = process.env.AGENTLOGS_PRICES_URL || LITELLM_PRICES_URL;
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'data', 'prices.json');

let raw;
let source;
const from = option('--from');
if (from) {
  raw = JSON.parse(readFileSync(from, 'utf8'));
  source =
    option('--source') ??
    `LiteLLM model_prices_and_context_window.json (local copy: ${from.split('/').pop()})`;
} else {
  const response = await fetch(url);
  if (!response.ok) {
    console.error(
      `refresh-prices: download failed (${response.status}); try again later or pass --from FILE`,
    );
    process.exit(1);
  }
  raw = await response.json();
  source = `LiteLLM model_prices_and_context_window.json (${url})`;
}

const table = priceTableFromLiteLLM(raw, source, option('--date') ?? new Date().toISOString().slice(0, 10));
writeFileSync(
  out,
  `${JSON.stringify({ source: table.source, date: table.date, unit: 'USD per token', ...table }, null, 1)}\n`,
);
console.log(`refresh-prices: ${Object.keys(table.models).length} models written to data/prices.json`);
