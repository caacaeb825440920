import type { DailyUsage, UserUsageTotals } from '../shared';

/**
 * A user's totals as the ledger workflow copied them into its memo (undefined: no ledger yet, or
 * none written). Reading the memo takes one `describe`: no worker, nothing replayed.
 */
export function ledgerTotals(
  memo: Record<string, unknown> | undefined,
): UserUsageTotals | undefined {
  return (memo as { usage?: UserUsageTotals } | undefined)?.usage;
}

/** What the ledger counted on one UTC day (`YYYY-MM-DD`); zero when nothing was. */
export function usageOnDay(totals: UserUsageTotals | undefined, day: string): DailyUsage {
  return totals?.days?.[day] ?? { jobs: 0, tokens: 0 };
}
