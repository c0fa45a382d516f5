#!/usr/bin/env node
// Regenerates data/prices.json from LiteLLM's model price table.
//
//   node scripts/refresh-prices.mjs                 # download the current table
//   node scripts/refresh-prices.mjs --from FILE     # use a local copy of model_prices_and_context_window.json
//   node scripts/refresh-prices.mjs --source TEXT   # record where --from came from
//
// Only per-token chat prices are kept (input, output, cache write/read, the >200k-token tier, the
// 1-hour cache write and the `fast` multiplier). The file records its source and date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LITELLM_URL =
  process.env.AGENTLOGS_PRICES_URL ??
  'https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json';

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
  const response = await fetch(LITELLM_URL);
  if (!response.ok) {
    console.error(
      `refresh-prices: download failed (${response.status}); try again later or pass --from FILE`,
    );
    process.exit(1);
  }
  raw = await response.json();
  source = `LiteLLM model_prices_and_context_window.json (${LITELLM_URL})`;
}

const fields = {
  input: 'input_cost_per_token',
  output: 'output_cost_per_token',
  cache_write: 'cache_creation_input_token_cost',
  cache_write_1h: 'cache_creation_input_token_cost_above_1hr',
  cache_read: 'cache_read_input_token_cost',
  input_above_200k: 'input_cost_per_token_above_200k_tokens',
  output_above_200k: 'output_cost_per_token_above_200k_tokens',
  cache_write_above_200k: 'cache_creation_input_token_cost_above_200k_tokens',
  cache_read_above_200k: 'cache_read_input_token_cost_above_200k_tokens',
};

const models = {};
for (const name of Object.keys(raw).sort()) {
  const entry = raw[name];
  if (!entry || typeof entry !== 'object') continue;
  if (typeof entry.input_cost_per_token !== 'number' || typeof entry.output_cost_per_token !== 'number')
    continue;
  const price = {};
  for (const [key, field] of Object.entries(fields)) {
    if (typeof entry[field] === 'number') price[key] = entry[field];
  }
  const fast = entry.provider_specific_entry?.fast;
  if (typeof fast === 'number') price.fast = fast;
  models[name] = price;
}

const table = {
  source,
  date: option('--date') ?? new Date().toISOString().slice(0, 10),
  unit: 'USD per token',
  // Fast-mode multipliers for models whose entry does not carry one (same values ccusage 20 applies).
  fast_multiplier_overrides: {
    exact: { 'gpt-5.5': 2.5, 'gpt-5.4': 2.0, 'gpt-5.3-codex': 2.0 },
    normalized_prefix: { 'claude-opus-4-6': 6.0, 'claude-opus-4-7': 6.0, 'claude-opus-4-8': 2.0 },
  },
  models,
};
writeFileSync(out, `${JSON.stringify(table, null, 1)}\n`);
console.log(`refresh-prices: ${Object.keys(models).length} models written to data/prices.json`);
