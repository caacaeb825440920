import type { Logger } from 'pino';
import { HttpError } from '../api/http-error';
import { estimateCostUsd, type PriceTable } from '../observability/price-table';
import { budgetTokens, type UserUsageTotals } from '../shared';
import { secondsToUtcMidnight, utcDay } from './token-budget';
import type { UsageReader } from './types';

/** Dependencies of {@link createCostBudget}. */
export interface CostBudgetDeps {
  usage: UsageReader;
  logger: Logger;
  /** US dollars per user per UTC day (> 0). */
  dailyUsd: number;
  prices: PriceTable;
  /** How long a user's reading is reused (concurrent requests share one reading too). */
  cacheMs: number;
}

/** The per-user daily dollar budget, as admission enforces it. */
export interface CostBudget {
  /** Throws 429 `daily_cost_budget_exceeded` (Retry-After: next UTC midnight) when spent. */
  check(userId: string): Promise<void>;
}

/**
 * The day's cost when the ledger keeps no per-day model split (the ledger workflows keep one
 * token count per day): the day's budget tokens priced at the user's all-time average price per
 * budget token. Exact for a user of one model; a mix is priced at its long-run blend.
 */
function estimatedDayCost(totals: UserUsageTotals, day: string, prices: PriceTable): number {
  const dayTokens = totals.days?.[day]?.tokens ?? 0;
  if (dayTokens === 0) return 0;
  let cost = 0;
  let tokens = 0;
  for (const [model, usage] of Object.entries(totals.byModel)) {
    cost += estimateCostUsd(prices, model, usage) ?? 0;
    tokens += budgetTokens(usage);
  }
  return tokens > 0 ? (dayTokens * cost) / tokens : 0;
}

/**
 * Refuses new jobs of a user whose estimated spend today (UTC), priced by the price table, has
 * reached `USER_DAILY_COST_BUDGET_USD` — the dollar twin of the daily token budget
 * (token-budget.ts), with the same reading, cache, fail-open and overshoot (jobs in flight
 * finish; a job's own `max_cost_usd` bounds what each can add).
 */
export function createCostBudget(deps: CostBudgetDeps): CostBudget {
  const readings = new Map<string, { at: number; usd: Promise<number | undefined> }>();

  async function readCostToday(userId: string): Promise<number | undefined> {
    const day = utcDay(new Date());
    try {
      if (deps.usage.modelUsageOn) {
        const byModel = await deps.usage.modelUsageOn(userId, day);
        return Object.entries(byModel).reduce(
          (sum, [model, usage]) => sum + (estimateCostUsd(deps.prices, model, usage) ?? 0),
          0,
        );
      }
      const totals = await deps.usage.totals(userId);
      return totals ? estimatedDayCost(totals, day, deps.prices) : 0;
    } catch (err) {
      deps.logger.warn(
        { err: (err as Error).message, user_id: userId },
        'cost budget: could not read the usage ledger; admitting',
      );
      return undefined;
    }
  }

  function costToday(userId: string): Promise<number | undefined> {
    const cached = readings.get(userId);
    if (cached && Date.now() - cached.at < deps.cacheMs) return cached.usd;
    const usd = readCostToday(userId);
    readings.set(userId, { at: Date.now(), usd });
    // Bounded: a flood of distinct user ids must not grow this map without limit.
    if (readings.size > 100_000) readings.clear();
    return usd;
  }

  return {
    async check(userId) {
      const spent = await costToday(userId);
      if (spent === undefined || spent < deps.dailyUsd) return;
      throw new HttpError(
        429,
        'daily_cost_budget_exceeded',
        `user ${userId} has spent an estimated $${spent.toFixed(4)} of $${deps.dailyUsd} today (UTC); the budget resets at midnight UTC`,
        undefined,
        { 'Retry-After': String(secondsToUtcMidnight(new Date())) },
      );
    },
  };
}
