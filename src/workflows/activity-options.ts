import {
  ActivityCancellationType,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import {
  NON_RETRYABLE_FAILURE_TYPES,
  toTemporalPriority,
  toTemporalPriorityKey,
  type ClaudeCallPolicy,
  type FairnessSettings,
  type PriorityLevel,
  type ToolPolicy,
  type WebhookSettings,
} from '../shared';

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
  fairness?: FairnessSettings,
): ActivityOptions {
  return {
    taskQueue,
    // A crashed worker is only noticed through the heartbeat timeout: keep it short so another
    // worker retries the call within seconds. The activity heartbeats on its own timer.
    heartbeatTimeout: policy.heartbeatTimeoutMs,
    startToCloseTimeout: policy.attemptTimeoutMs,
    // The job's overall deadline: all attempts and backoff included.
    scheduleToCloseTimeout: policy.deadlineMs,
    // Priority orders the activity backlog; the fairness key shares each level between users.
    priority: toTemporalPriority(priority, fairness),
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

/**
 * Options of the control-plane activities (task-queue rate limits). They run on the workflow
 * task queue so they are never held back by the very rate limit they set on the Claude queue.
 */
export const controlActivityOptions: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
};

/**
 * Options of one tool call. Each tool has its own policy (from the registry, carried in the job
 * input): a calculator gets seconds and one retry, a slow I/O tool could get minutes. Tools are
 * short, so no heartbeat: start-to-close notices a lost worker. Cancelling a job waits for the
 * tool to stop, like the model call.
 */
export function toolCallOptions(
  policy: ToolPolicy,
  taskQueue: string,
  priority: PriorityLevel,
): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: policy.timeoutMs,
    priority: { priorityKey: toTemporalPriorityKey(priority) },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: policy.maxAttempts,
      initialInterval: 200,
      maximumInterval: 5_000,
      backoffCoefficient: 2,
    },
  };
}

/**
 * Options of the local activity that adds a plain chat job's tokens to the user's ledger. It
 * retries through a short Temporal outage; after five minutes the job completes without it (its
 * answer is not held back by accounting) and the workflow logs the loss.
 */
export const usageReportOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
};

/**
 * Options of a completion webhook's delivery: Temporal retries it with backoff (1 s doubling to
 * 10 min) until it is delivered or WEBHOOK_MAX_DELIVERY_MS has passed since the first attempt.
 * A 4xx other than 408/429 and a URL outside the allowed prefixes fail at once (the activity
 * throws them non-retryable); a 429/503 `retry-after` sets the next delay. Each attempt is bounded
 * by the webhook's own timeout plus a margin for signing and the worker's scheduling.
 */
export function webhookDeliveryOptions(webhook: WebhookSettings): ActivityOptions {
  return {
    taskQueue: webhook.taskQueue,
    startToCloseTimeout: webhook.timeoutMs + 5_000,
    scheduleToCloseTimeout: webhook.maxDeliveryMs,
    retry: {
      initialInterval: 1_000,
      maximumInterval: 10 * 60_000,
      backoffCoefficient: 2,
    },
  };
}
