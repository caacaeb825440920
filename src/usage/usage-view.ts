import type { Logger } from 'pino';
import type { UserUsageView } from '../api/agent-schemas';
import { HttpError } from '../api/http-error';
import { toUnavailable } from '../api/temporal-calls';
import type { AppConfig } from '../config';
import { estimateCostUsd } from '../observability/price-table';
import { addModelTotals, emptyModelTotals, type UserUsageTotals } from '../shared';
import { utcDay } from './token-budget';
import type { UsageReader } from './types';

/** `GET /users/:id/usage` as a function. */
export interface UsageView {
  getUsage(userId: string): Promise<UserUsageView>;
}

/**
 * A user's usage as the API shows it: totals per model with their estimated cost, jobs, and
 * today's (UTC) jobs and tokens against the daily budget, whichever store holds them.
 */
export function createUsageView(deps: {
  reader: UsageReader;
  config: AppConfig;
  logger: Logger;
}): UsageView {
  const prices = deps.config.observability.prices;

  async function read(userId: string): Promise<UserUsageTotals | undefined> {
    try {
      return await deps.reader.totals(userId);
    } catch (err) {
      const mapped = toUnavailable(err);
      if (mapped instanceof HttpError) throw mapped;
      deps.logger.warn({ err: (err as Error).message, user_id: userId }, 'usage: read failed');
      throw HttpError.unavailable('The usage ledger is temporarily unavailable', 2);
    }
  }

  /** Today's (UTC) jobs and tokens, and what is left of the daily budget if one is set. */
  function todayView(totals: UserUsageTotals | undefined): UserUsageView['today'] {
    const date = utcDay(new Date());
    const day = totals?.days?.[date] ?? { jobs: 0, tokens: 0 };
    const budget = deps.config.scheduling.userDailyTokenBudget;
    return {
      date,
      jobs: day.jobs,
      tokens: day.tokens,
      ...(budget > 0 ? { budget, remaining: Math.max(0, budget - day.tokens) } : {}),
    };
  }

  return {
    async getUsage(userId) {
      const totals = await read(userId);
      const byModel: UserUsageView['by_model'] = {};
      const sum = emptyModelTotals();
      let costUsd = 0;
      let unpriced = false;
      for (const [model, t] of Object.entries(totals?.byModel ?? {})) {
        const cost = estimateCostUsd(prices, model, t);
        if (cost === undefined) unpriced = true;
        byModel[model] = { ...t, ...(cost !== undefined ? { cost_usd: cost } : {}) };
        addModelTotals(sum, t);
        costUsd += cost ?? 0;
      }
      return {
        user_id: userId,
        jobs: totals?.jobs ?? 0,
        model_calls: sum.calls,
        input_tokens: sum.input_tokens,
        output_tokens: sum.output_tokens,
        cache_creation_input_tokens: sum.cache_creation_input_tokens,
        cache_read_input_tokens: sum.cache_read_input_tokens,
        cost_usd: costUsd,
        ...(unpriced ? { unpriced_models: true } : {}),
        by_model: byModel,
        today: todayView(totals),
        ...(totals?.updatedAt ? { updated_at: totals.updatedAt } : {}),
      };
    },
  };
}
