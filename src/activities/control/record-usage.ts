import { Context } from '@temporalio/activity';
import {
  USAGE_WORKFLOW_TYPE,
  recordUsageSignal,
  usageWorkflowId,
  type UsageRecord,
} from '../../shared';
import type { usageWorkflow } from '../../workflows';

/** Input of `recordUsage`. */
export interface RecordUsageInput {
  userId: string;
  /** Task queue of the workflow workers, where the ledger runs if this call starts it. */
  workflowTaskQueue: string;
  record: UsageRecord;
}

/**
 * Kept registered for plain chat jobs submitted before usage was recorded by the model-call
 * activity (src/usage): their histories replay, and may still schedule, this local activity.
 *
 * Adds one finished job's usage to the user's ledger workflow with Signal-With-Start: one call
 * whether or not the ledger exists yet. Plain chat jobs run it as a local activity, so counting
 * them costs the job one marker event instead of a child workflow and an extra workflow task.
 * A retry can deliver the record twice; the ledger counts each job id once.
 */
export async function recordUsage(input: RecordUsageInput): Promise<void> {
  const { client } = Context.current();
  await client.workflow.signalWithStart<typeof usageWorkflow, [UsageRecord]>(USAGE_WORKFLOW_TYPE, {
    workflowId: usageWorkflowId(input.userId),
    taskQueue: input.workflowTaskQueue,
    args: [{ userId: input.userId }],
    signal: recordUsageSignal,
    signalArgs: [input.record],
  });
}
