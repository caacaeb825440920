import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  USAGE_DAYS_KEPT,
  addModelTotals,
  budgetTokens,
  emptyModelTotals,
  getUsageQuery,
  recordUsageSignal,
  type UsageRecord,
  type UsageWorkflowInput,
  type UserUsageTotals,
} from '../shared';

/** Signals handled per run before continue-as-new (each costs ~2 history events). */
const MAX_RECORDS_PER_RUN = 1_000;

/**
 * Job ids remembered for de-duplication. A duplicate comes from an activity retried seconds after
 * its first delivery, so a window far smaller than a day's jobs is enough; it is carried across
 * continue-as-new, so it must stay small (about 40 bytes per id).
 */
const RECENT_JOB_IDS = 2_000;

/**
 * A user's usage ledger: one long-lived workflow per user (`usage~<user>`), fed one signal per
 * finished job (each job counted once, even if its record arrives twice). Its totals are durable (they live in Temporal, across API and worker restarts)
 * and are copied into the memo after each batch of signals, so `GET /users/:id/usage` reads them
 * with a `describe` that needs no worker and replays nothing. It never closes on its own (an
 * idle workflow costs nothing); it continues-as-new to keep its history short.
 */
export async function usageWorkflow(input: UsageWorkflowInput): Promise<void> {
  const totals: UserUsageTotals = input.totals ?? { userId: input.userId, jobs: 0, byModel: {} };
  let records = 0;
  let dirty = false;
  // Insertion-ordered: the oldest ids are dropped first.
  const recent = new Set(input.recentJobIds ?? []);
  const apply = (record: UsageRecord) => {
    if (recent.has(record.jobId)) return;
    recent.add(record.jobId);
    if (recent.size > RECENT_JOB_IDS) recent.delete(recent.values().next().value as string);
    totals.jobs += 1;
    for (const [model, usage] of Object.entries(record.byModel)) {
      addModelTotals((totals.byModel[model] ??= emptyModelTotals()), usage);
    }
    // The day comes from the record (when the job finished); older records have none, and then
    // the workflow-task time — deterministic on replay — stands in.
    const now = new Date().toISOString();
    const day = (record.at ?? now).slice(0, 10);
    const days = (totals.days ??= {});
    const today = (days[day] ??= { jobs: 0, tokens: 0 });
    today.jobs += 1;
    for (const usage of Object.values(record.byModel)) today.tokens += budgetTokens(usage);
    const kept = Object.keys(days).sort().slice(-USAGE_DAYS_KEPT);
    for (const old of Object.keys(days)) if (!kept.includes(old)) delete days[old];
    totals.updatedAt = now;
    records += 1;
    dirty = true;
  };
  if (input.initial) apply(input.initial);
  setHandler(recordUsageSignal, apply);
  setHandler(getUsageQuery, () => totals);
  for (;;) {
    if (dirty) {
      // A copy: the memo must hold the totals of this moment, not a live reference.
      upsertMemo({ usage: JSON.parse(JSON.stringify(totals)) as UserUsageTotals });
      dirty = false;
    }
    if (records >= MAX_RECORDS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof usageWorkflow>({
        userId: input.userId,
        totals,
        recentJobIds: [...recent],
      });
    }
    await condition(() => dirty);
  }
}
