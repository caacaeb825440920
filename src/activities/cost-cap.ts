import type Anthropic from '@anthropic-ai/sdk';
import { estimateCostUsd, type PriceTable } from '../observability/price-table';
import type { CostCapInput } from '../shared';
import { estimateInputTokens } from './token-estimate';

/** What the pre-call check decided: go ahead, or stop the job at its cap. */
export interface CostCapVerdict {
  /** True when the call's worst case would take the job past its cap. */
  reached: boolean;
  /** Worst case of the call in US dollars (undefined: the model has no price). */
  worstCaseUsd: number | undefined;
  estimatedInputTokens: number;
}

/**
 * The worst case of one model call against the job's cap: estimated input (token-estimate.ts)
 * plus the whole `max_tokens` as output, priced by the worker's price table. A model without a
 * price cannot be capped and is let through (the cost shown for it is absent too).
 */
export function checkCostCap(
  prices: PriceTable,
  cap: CostCapInput,
  params: Anthropic.MessageStreamParams,
): CostCapVerdict {
  const estimatedInputTokens = estimateInputTokens(params);
  const worstCaseUsd = estimateCostUsd(prices, params.model, {
    input_tokens: estimatedInputTokens,
    output_tokens: params.max_tokens,
  });
  const reached = worstCaseUsd !== undefined && cap.spentUsd + worstCaseUsd > cap.maxUsd;
  return { reached, worstCaseUsd, estimatedInputTokens };
}
