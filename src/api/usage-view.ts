import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { AppConfig } from '../config';
import { estimateCostUsd } from '../observability/price-table';
import { addModelTotals, emptyModelTotals, usageWorkflowId, type UserUsageTotals } from '../shared';
import type { UserUsageView } from './agent-schemas';
import { utcDay } from './admission/token-budget';
import { callWithin, type Deadline } from './request-deadline';
import { ledgerTotals, usageOnDay } from './usage-ledger-memo';

/** Dependencies of {@link createUsageView}. */
export interface UsageViewDeps {
  client: Client;
  config: AppConfig;
}

/** `GET /users/:user_id/usage`: a user's jobs, tokens and estimated cost. */
export interface UsageView {
  getUsage(userId: string, deadline: Deadline): Promise<UserUsageView>;
}

/** Creates the per-user usage view (read from the user's usage ledger). */
export function createUsageView(deps: UsageViewDeps): UsageView {
  const { client, config } = deps;
  const prices = config.observability.prices;

  async function ledgerMemo(
    userId: string,
    deadline: Deadline,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const description = await callWithin(client, deadline, () =>
        client.workflow.getHandle(usageWorkflowId(userId)).describe(),
      );
      return description.memo;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  async function getUsage(userId: string, deadline: Deadline): Promise<UserUsageView> {
    // The ledger copies its totals into its memo: no worker needed, nothing replayed.
    const totals = ledgerTotals(await ledgerMemo(userId, deadline));
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
  }

  /** Today's (UTC) jobs and tokens, and what is left of the daily budget if one is set. */
  function todayView(totals: UserUsageTotals | undefined): UserUsageView['today'] {
    const date = utcDay(new Date());
    const day = usageOnDay(totals, date);
    const budget = config.scheduling.userDailyTokenBudget;
    return {
      date,
      jobs: day.jobs,
      tokens: day.tokens,
      ...(budget > 0 ? { budget, remaining: Math.max(0, budget - day.tokens) } : {}),
    };
  }

  return { getUsage };
}
