import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenUsage } from './usage.js';

/** Prices of one model in USD per token. */
export interface ModelPrice {
  input: number;
  output: number;
  cache_write?: number;
  cache_write_1h?: number;
  cache_read?: number;
  input_above_200k?: number;
  output_above_200k?: number;
  cache_write_above_200k?: number;
  cache_read_above_200k?: number;
  /** Multiplier for `speed: "fast"` responses. */
  fast?: number;
}

export interface PriceTableFile {
  source: string;
  date: string;
  fast_multiplier_overrides?: { exact?: Record<string, number>; normalized_prefix?: Record<string, number> };
  models: Record<string, ModelPrice>;
}

const TIER_THRESHOLD = 200_000;
const DATE_SUFFIX_DIGITS = 8;

function tiered(tokens: number, base: number, above: number | undefined): number {
  if (tokens <= 0) return 0;
  if (above !== undefined && tokens > TIER_THRESHOLD)
    return TIER_THRESHOLD * base + (tokens - TIER_THRESHOLD) * above;
  return tokens * base;
}

const isBoundary = (ch: string | undefined) => ch === undefined || !/[A-Za-z0-9]/.test(ch);

/** `key` occurs in `value` between non-alphanumeric boundaries, and not followed by a further version number. */
function containsKey(value: string, key: string): boolean {
  let from = 0;
  for (;;) {
    const i = value.indexOf(key, from);
    if (i === -1) return false;
    from = i + 1;
    if (!isBoundary(i > 0 ? value[i - 1] : undefined)) continue;
    const suffix = value.slice(i + key.length);
    if (suffix.length === 0) return true;
    if (!isBoundary(suffix[0])) continue;
    if (/\d$/.test(key) && (suffix[0] === '-' || suffix[0] === '.')) {
      const digits = suffix.slice(1).match(/^\d+/)?.[0] ?? '';
      if (digits.length > 0) {
        const after = suffix[1 + digits.length];
        // A date suffix (-20250514) is not a new version; -5 or .5 is.
        if (!(digits.length === DATE_SUFFIX_DIGITS && isBoundary(after))) continue;
      }
    }
    return true;
  }
}

const normalize = (s: string) => s.replace(/[.@]/g, '-');

/**
 * The offline price table. Model names are matched exactly, then as ccusage 20 matches them (a table key
 * contained in the model name or the other way round, at name boundaries, longest key first).
 */
export class PriceTable {
  private readonly cache = new Map<string, ModelPrice | null>();
  private hash: string | undefined;
  constructor(readonly file: PriceTableFile) {}

  get source(): string {
    return this.file.source;
  }
  get date(): string {
    return this.file.date;
  }

  /** A hash of the whole table: costs computed with one table are reused only with the same table. */
  get fingerprint(): string {
    this.hash ??= createHash('sha256').update(JSON.stringify(this.file)).digest('hex').slice(0, 32);
    return this.hash;
  }

  find(model: string): ModelPrice | null {
    const cached = this.cache.get(model);
    if (cached !== undefined) return cached;
    const found = this.lookup(model);
    this.cache.set(model, found);
    return found;
  }

  private lookup(model: string): ModelPrice | null {
    const models = this.file.models;
    const exact = models[model];
    if (exact) return this.withFast(model, exact);
    const normalizedModel = normalize(model);
    let best: string | null = null;
    for (const candidate of Object.keys(models)) {
      const nc = normalize(candidate);
      const matches =
        containsKey(model, candidate) ||
        containsKey(candidate, model) ||
        containsKey(normalizedModel, nc) ||
        containsKey(nc, normalizedModel);
      if (!matches) continue;
      if (
        best === null ||
        candidate.length > best.length ||
        (candidate.length === best.length && candidate < best)
      ) {
        best = candidate;
      }
    }
    return best ? this.withFast(best, models[best]!) : null;
  }

  private withFast(name: string, price: ModelPrice): ModelPrice {
    if (price.fast !== undefined) return price;
    const overrides = this.file.fast_multiplier_overrides;
    const exact = overrides?.exact?.[name];
    if (exact !== undefined) return { ...price, fast: exact };
    const normalized = normalize(name);
    for (const part of normalized.split(/[/:]/)) {
      for (const [base, multiplier] of Object.entries(overrides?.normalized_prefix ?? {})) {
        const i = part.lastIndexOf(base);
        if (i === -1) continue;
        const suffix = part.slice(i);
        if (suffix === base || suffix[base.length] === '-') return { ...price, fast: multiplier };
      }
    }
    return price;
  }

  /**
   * Cost of one response in USD, or null when the model is not in the table. Cache writes of one hour cost twice
   * the input price (as ccusage prices them), five-minute writes the cache-write price; every kind of token
   * above 200k in one response costs the >200k price where the model has one; `fast` multiplies the total.
   */
  cost(model: string | null, usage: TokenUsage, speed: string | null): number | null {
    if (!model) return null;
    const p = this.find(model);
    if (!p) return null;
    const cacheWrite = p.cache_write ?? p.input * 1.25;
    const cacheRead = p.cache_read ?? p.input * 0.1;
    const write1h = usage.cacheCreation1h;
    const write5m = usage.cacheCreation - write1h;
    const total =
      tiered(usage.input, p.input, p.input_above_200k) +
      tiered(usage.output, p.output, p.output_above_200k) +
      tiered(write5m, cacheWrite, p.cache_write_above_200k) +
      tiered(write1h, p.input * 2, p.input_above_200k !== undefined ? p.input_above_200k * 2 : undefined) +
      tiered(usage.cacheRead, cacheRead, p.cache_read_above_200k);
    return speed === 'fast' ? total * (p.fast ?? 1) : total;
  }
}

let defaultTable: PriceTable | null = null;

/** The vendored table in `data/prices.json` (see its `source` and `date`; refresh with scripts/refresh-prices.mjs). */
export function loadPriceTable(path?: string): PriceTable {
  if (!path && defaultTable) return defaultTable;
  const file = path ?? new URL('../data/prices.json', import.meta.url);
  const table = new PriceTable(JSON.parse(readFileSync(file, 'utf8')) as PriceTableFile);
  if (!path) defaultTable = table;
  return table;
}

/** Where LiteLLM publishes its price table: the source ccusage reads prices from too. */
export const LITELLM_PRICES_URL =
  'https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json';

/** LiteLLM's field for each price this table keeps. */
const LITELLM_FIELDS: Record<keyof Omit<ModelPrice, 'fast'>, string> = {
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

/** Fast-mode multipliers for models whose entry does not carry one (the values ccusage 20 applies). */
const FAST_MULTIPLIER_OVERRIDES = {
  exact: { 'gpt-5.5': 2.5, 'gpt-5.4': 2.0, 'gpt-5.3-codex': 2.0 },
  normalized_prefix: { 'claude-opus-4-6': 6.0, 'claude-opus-4-7': 6.0, 'claude-opus-4-8': 2.0 },
};

/**
 * This project's price table from LiteLLM's `model_prices_and_context_window.json` (parsed): the per-token chat
 * prices of every model that has an input and an output price (cache writes and reads, the >200k tier, the
 * 1-hour cache write, the `fast` multiplier). Throws when `raw` does not look like that file (fewer than 10 models).
 */
export function priceTableFromLiteLLM(raw: unknown, source: string, date: string): PriceTableFile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not a JSON object of models');
  const models: Record<string, ModelPrice> = {};
  for (const name of Object.keys(raw).sort()) {
    if (name === 'sample_spec') continue; // LiteLLM's description of its own fields
    const entry = (raw as Record<string, unknown>)[name] as Record<string, unknown> | null;
    if (!entry || typeof entry !== 'object') continue;
    if (typeof entry.input_cost_per_token !== 'number' || typeof entry.output_cost_per_token !== 'number')
      continue;
    const price: Partial<ModelPrice> = {};
    for (const [key, field] of Object.entries(LITELLM_FIELDS) as [keyof typeof LITELLM_FIELDS, string][]) {
      const value = entry[field];
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) price[key] = value;
    }
    const fast = (entry.provider_specific_entry as { fast?: unknown } | undefined)?.fast;
    if (typeof fast === 'number') price.fast = fast;
    models[name] = price as ModelPrice;
  }
  if (Object.keys(models).length < 10) {
    throw new Error(`only ${Object.keys(models).length} priced models: not LiteLLM's price table`);
  }
  return { source, date, fast_multiplier_overrides: FAST_MULTIPLIER_OVERRIDES, models };
}

/** Whether parsed JSON is a price table this version reads (a cached copy may be damaged or from elsewhere). */
export function isPriceTableFile(value: unknown): value is PriceTableFile {
  const v = value as PriceTableFile | null;
  return (
    !!v &&
    typeof v === 'object' &&
    typeof v.source === 'string' &&
    typeof v.date === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(v.date) &&
    !!v.models &&
    typeof v.models === 'object'
  );
}
