import { describe, expect, it } from 'vitest';
import { loadPriceTable, PriceTable } from '../src/pricing.js';
import type { TokenUsage } from '../src/usage.js';

const usage = (u: Partial<TokenUsage>): TokenUsage => ({
  input: 0,
  output: 0,
  cacheCreation: 0,
  cacheCreation1h: 0,
  cacheRead: 0,
  reasoning: 0,
  ...u,
});

const table = new PriceTable({
  source: 'test',
  date: '2026-01-01',
  fast_multiplier_overrides: { normalized_prefix: { 'model-x-4-6': 6 } },
  models: {
    'model-a': {
      input: 3e-6,
      output: 15e-6,
      cache_write: 3.75e-6,
      cache_read: 0.3e-6,
      input_above_200k: 6e-6,
      output_above_200k: 22.5e-6,
      cache_write_above_200k: 7.5e-6,
      cache_read_above_200k: 0.6e-6,
    },
    'model-b': { input: 1e-6, output: 5e-6 },
    'model-x-4-6': { input: 5e-6, output: 25e-6 },
    'model-y-20250514': { input: 2e-6, output: 4e-6 },
    'model-y-5': { input: 9e-6, output: 9e-6 },
  },
});

describe('PriceTable', () => {
  it('prices input, output, 5-minute cache writes and cache reads per token', () => {
    const cost = table.cost(
      'model-a',
      usage({ input: 1000, output: 100, cacheCreation: 200, cacheRead: 5000 }),
      null,
    );
    expect(cost).toBeCloseTo(1000 * 3e-6 + 100 * 15e-6 + 200 * 3.75e-6 + 5000 * 0.3e-6, 12);
  });

  it('prices 1-hour cache writes at twice the input price', () => {
    const cost = table.cost('model-a', usage({ cacheCreation: 300, cacheCreation1h: 100 }), null);
    expect(cost).toBeCloseTo(200 * 3.75e-6 + 100 * 6e-6, 12);
  });

  it('uses the >200k-token price for the tokens above 200k in one response', () => {
    const cost = table.cost('model-a', usage({ input: 250_000 }), null);
    expect(cost).toBeCloseTo(200_000 * 3e-6 + 50_000 * 6e-6, 9);
    // A model without a tier price keeps its base price.
    expect(table.cost('model-b', usage({ input: 250_000 }), null)).toBeCloseTo(250_000 * 1e-6, 9);
  });

  it('defaults cache prices to 1.25x and 0.1x input when the table has none', () => {
    expect(table.cost('model-b', usage({ cacheCreation: 1000, cacheRead: 1000 }), null)).toBeCloseTo(
      1000 * 1.25e-6 + 1000 * 0.1e-6,
      12,
    );
  });

  it('multiplies fast-mode responses by the model multiplier', () => {
    const standard = table.cost('model-x-4-6', usage({ input: 100, output: 10 }), 'standard')!;
    expect(table.cost('model-x-4-6', usage({ input: 100, output: 10 }), 'fast')).toBeCloseTo(
      standard * 6,
      12,
    );
    expect(table.cost('model-b', usage({ input: 100 }), 'fast')).toBeCloseTo(100 * 1e-6, 12);
  });

  it('matches a model name without a date suffix, never a different version', () => {
    expect(table.find('model-y')).toBe(table.file.models['model-y-20250514']);
    expect(table.find('model-y-5-20260101')).toBe(table.file.models['model-y-5']);
    expect(table.find('provider/model-b')).toBe(table.file.models['model-b']);
  });

  it('returns null (unpriced) for a model it does not know, never 0', () => {
    expect(table.find('model-unknown')).toBeNull();
    expect(table.cost('model-unknown', usage({ input: 10 }), null)).toBeNull();
  });

  it('the vendored table states its source and date and prices current Claude and Codex models', () => {
    const vendored = loadPriceTable();
    expect(vendored.source).toMatch(/LiteLLM/);
    expect(vendored.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const model of [
      'claude-sonnet-4-20250514',
      'claude-opus-4-6',
      'claude-haiku-4-5-20251001',
      'claude-sonnet-4',
      'gpt-5.2-codex',
    ]) {
      expect(vendored.find(model), model).not.toBeNull();
    }
    expect(vendored.find('claude-opus-4-6')!.fast).toBe(6);
  });
});
