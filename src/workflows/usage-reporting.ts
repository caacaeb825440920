import {
  CancellationScope,
  ParentClosePolicy,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  USAGE_WORKFLOW_TYPE,
  addModelTotals,
  emptyModelTotals,
  recordUsageSignal,
  usageWorkflowId,
  type ModelUsageTotals,
  type TokenUsage,
  type UsageRecord,
} from '../shared';
import type { createControlActivities } from '../activities/control';
import { usageReportOptions } from './activity-options';

const { recordUsage } =
  proxyLocalActivities<ReturnType<typeof createControlActivities>>(usageReportOptions);

/** Adds one model call's tokens to per-model totals. */
export function addUsage(
  byModel: Record<string, ModelUsageTotals>,
  model: string,
  usage: TokenUsage,
): void {
  addModelTotals((byModel[model] ??= emptyModelTotals()), {
    calls: 1,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
  });
}

/*
 * Workflow-side usage reporting of jobs submitted before each model call recorded its own usage
 * from the activity (`usageByActivity`, src/usage). New jobs never run these; they stay so the
 * histories of jobs recorded before replay exactly.
 */

/**
 * Sends a finished job's usage to the user's ledger workflow, starting the ledger if it does not
 * exist yet (then the usage travels in its input). Temporal runs this exactly once per job — no
 * double counting on retries or replays — and the ledger's totals survive any API restart.
 *
 * Runs in a non-cancellable scope: a cancelled job still consumed the tokens it consumed.
 */
export async function reportUsage(
  userId: string,
  workflowTaskQueue: string,
  record: UsageRecord,
): Promise<void> {
  if (Object.keys(record.byModel).length === 0) return;
  const workflowId = usageWorkflowId(userId);
  await CancellationScope.nonCancellable(async () => {
    try {
      await startChild(USAGE_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: workflowTaskQueue,
        args: [{ userId, initial: record }],
        // The ledger outlives the job that happened to start it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await getExternalWorkflowHandle(workflowId).signal(recordUsageSignal, record);
    }
  });
}

/**
 * Sends a plain chat job's usage to the user's ledger from a local activity (Signal-With-Start),
 * so counting it adds one marker event to the job's history and no extra workflow task; the
 * ledger drops the duplicate a retried local activity may deliver. If the ledger stays
 * unreachable past the activity's deadline the job still completes, and the loss is logged.
 */
export async function reportUsageLocally(userId: string, record: UsageRecord): Promise<void> {
  if (Object.keys(record.byModel).length === 0) return;
  await CancellationScope.nonCancellable(async () => {
    try {
      await recordUsage({ userId, workflowTaskQueue: workflowInfo().taskQueue, record });
    } catch (err) {
      log.warn('usage not recorded in the ledger', {
        jobId: record.jobId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  });
}
