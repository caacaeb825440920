import { z } from 'zod';

/** Prices of one model family in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache; Anthropic bills it at 1.25 × input by default. */
  cacheWrite?: number;
  /** Reading the prompt cache; Anthropic bills it at 0.1 × input by default. */
  cacheRead?: number;
}

/** Model-name prefix → price. The longest matching prefix wins. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * Built-in list prices (USD per million tokens) at the time of writing. They only feed the cost
 * estimate on dashboards; override them with `CLAUDE_PRICES_JSON` when your contract or the price
 * list differs. Matching is by prefix so dated model ids (`…-20250514`) find their family.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-6': { input: 5, output: 25 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-haiku-4': { input: 1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
};

const price = z.number().nonnegative();
const modelPriceSchema = z.strictObject({
  input: price,
  output: price,
  cacheWrite: price.optional(),
  cacheRead: price.optional(),
});

/**
 * `CLAUDE_PRICES_JSON`: a JSON object of model prefix → `{input, output, cacheWrite?, cacheRead?}`
 * in USD per million tokens, e.g. `{"claude-sonnet-4":{"input":3,"output":15}}`. It replaces the
 * built-in table entirely, so a model you forget is visibly unpriced rather than priced wrongly.
 */
export const priceTableFromJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), modelPriceSchema));

/** Token counts of one model call, as the Messages API reports them. */
export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** The price entry for a model (longest matching prefix), or undefined when unpriced. */
export function findModelPrice(table: PriceTable, model: string): ModelPrice | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if (model.startsWith(prefix) && (best === undefined || prefix.length > best.length)) {
      best = prefix;
    }
  }
  return best === undefined ? undefined : table[best];
}

/** Estimated cost of one call in US dollars, or undefined when the model has no price. */
export function estimateCostUsd(
  table: PriceTable,
  model: string,
  usage: TokenCounts,
): number | undefined {
  const p = findModelPrice(table, model);
  if (!p) return undefined;
  const perToken = (perMillion: number) => perMillion / 1_000_000;
  return (
    usage.input_tokens * perToken(p.input) +
    usage.output_tokens * perToken(p.output) +
    (usage.cache_creation_input_tokens ?? 0) * perToken(p.cacheWrite ?? p.input * 1.25) +
    (usage.cache_read_input_tokens ?? 0) * perToken(p.cacheRead ?? p.input * 0.1)
  );
}
