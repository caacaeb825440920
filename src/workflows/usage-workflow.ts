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
  recordUsageBatchSignal,
  recordUsageSignal,
  usageCallKey,
  type ModelUsageTotals,
  type UsageCallRecord,
  type UsageRecord,
  type UsageWorkflowInput,
  type UserUsageTotals,
} from '../shared';

/** Signals handled per run before continue-as-new (each costs ~2 history events, batch or not). */
const MAX_RECORDS_PER_RUN = 1_000;

/**
 * Record keys (job ids, or `jobId:call`) remembered for de-duplication. A duplicate comes from an
 * activity or a usage flush retried seconds after its first delivery, so a window far smaller
 * than a day's calls is enough; it is carried across continue-as-new, so it must stay small
 * (about 40 bytes per key).
 */
const RECENT_JOB_IDS = 2_000;

/**
 * A user's usage ledger when no usage database is configured (src/usage): one long-lived
 * workflow per user (`usage~<user>`). The activity workers' usage writer sends it one
 * `recordUsageBatch` signal per flush with the calls of that user it holds; jobs submitted before
 * that sent one `recordUsage` signal per finished job, still handled for their histories. Each
 * key is counted once, even if its record arrives twice. Its totals are durable (they live in
 * Temporal, across API and worker restarts) and are copied into the memo after each batch of
 * signals, so `GET /users/:id/usage` reads them with a `describe` that needs no worker and
 * replays nothing. It never closes on its own (an idle workflow costs nothing); it
 * continues-as-new to keep its history short.
 */
export async function usageWorkflow(input: UsageWorkflowInput): Promise<void> {
  const totals: UserUsageTotals = input.totals ?? { userId: input.userId, jobs: 0, byModel: {} };
  let records = 0;
  let dirty = false;
  // Insertion-ordered: the oldest ids are dropped first.
  const recent = new Set(input.recentJobIds ?? []);
  /** Counts a record's usage once per key; false when the key was already counted. */
  const count = (
    key: string,
    jobs: number,
    byModel: Record<string, ModelUsageTotals>,
    at: string | undefined,
  ): boolean => {
    if (recent.has(key)) return false;
    recent.add(key);
    if (recent.size > RECENT_JOB_IDS) recent.delete(recent.values().next().value as string);
    totals.jobs += jobs;
    for (const [model, usage] of Object.entries(byModel)) {
      addModelTotals((totals.byModel[model] ??= emptyModelTotals()), usage);
    }
    // The day comes from the record (when the job or call finished); older records have none,
    // and then the workflow-task time — deterministic on replay — stands in.
    const now = new Date().toISOString();
    const day = (at ?? now).slice(0, 10);
    const days = (totals.days ??= {});
    const today = (days[day] ??= { jobs: 0, tokens: 0 });
    today.jobs += jobs;
    for (const usage of Object.values(byModel)) today.tokens += budgetTokens(usage);
    const kept = Object.keys(days).sort().slice(-USAGE_DAYS_KEPT);
    for (const old of Object.keys(days)) if (!kept.includes(old)) delete days[old];
    totals.updatedAt = now;
    return true;
  };
  const apply = (record: UsageRecord) => {
    if (!count(record.jobId, 1, record.byModel, record.at)) return;
    records += 1;
    dirty = true;
  };
  /** A job counts once, with its call 0; each call adds its tokens. */
  const applyCall = (record: UsageCallRecord) =>
    count(usageCallKey(record), record.call === 0 ? 1 : 0, callTotals(record), record.at);
  const applyBatch = (batch: UsageCallRecord[]) => {
    let counted = false;
    for (const record of batch) counted = applyCall(record) || counted;
    // One signal, however many records: the run's length is bounded in signals.
    records += 1;
    if (counted) dirty = true;
  };
  if (input.initial) apply(input.initial);
  setHandler(recordUsageSignal, apply);
  setHandler(recordUsageBatchSignal, applyBatch);
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

/** One call's usage as per-model totals. */
function callTotals(record: UsageCallRecord): Record<string, ModelUsageTotals> {
  return {
    [record.model]: {
      calls: 1,
      input_tokens: record.usage.input_tokens,
      output_tokens: record.usage.output_tokens,
      cache_creation_input_tokens: record.usage.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: record.usage.cache_read_input_tokens ?? 0,
    },
  };
}
