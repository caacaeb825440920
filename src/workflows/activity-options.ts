import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES, type ClaudeCallPolicy, type PriorityLevel } from '../shared';
import { toTemporalPriorityKey } from '../shared';

/**
 * Every activity option used by our workflows lives in this file, so retry and timeout behaviour
 * can be reviewed in one place.
 *
 * The policy values arrive in the workflow input (fixed when the job was submitted) because
 * workflow code cannot read configuration: a retry or a replay always sees the same values.
 */
export function claudeCallOptions(
  policy: ClaudeCallPolicy,
  taskQueue: string,
  priority: PriorityLevel,
  waitForCancellation: boolean,
): ActivityOptions {
  return {
    taskQueue,
    // A crashed worker is only noticed through the heartbeat timeout: keep it short so another
    // worker retries the call within seconds. The activity heartbeats on its own timer.
    heartbeatTimeout: policy.heartbeatTimeoutMs,
    startToCloseTimeout: policy.attemptTimeoutMs,
    // The job's overall deadline: all attempts and backoff included.
    scheduleToCloseTimeout: policy.deadlineMs,
    priority: { priorityKey: toTemporalPriorityKey(priority) },
    // A cancelled job reports "cancelled" only once the model call has really been aborted, so
    // no partial output can race in as a success. Jobs started before this behaviour existed
    // keep TRY_CANCEL (see the patch in chat-workflow.ts).
    cancellationType: waitForCancellation
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
    retry: {
      maximumAttempts: policy.maxAttempts,
      initialInterval: policy.initialRetryMs,
      maximumInterval: policy.maxRetryMs,
      backoffCoefficient: 2,
      nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES],
    },
  };
}
