import { Context } from '@temporalio/activity';

/** Input of {@link createControlActivities}' `setQueueRateLimit`. */
export interface SetQueueRateLimitInput {
  taskQueue: string;
  /** Requests per second for the whole queue; null removes the override. */
  requestsPerSecond: number | null;
}

/** TaskQueueType.ACTIVITY in Temporal's API: rate limits apply to activity dispatch. */
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/**
 * Control-plane activities run by workflow workers. They use the worker's own Temporal client
 * (the activity context's), so they need no extra connection or configuration.
 */
export function createControlActivities() {
  return {
    /**
     * Sets (or clears) the server-side dispatch rate of an activity task queue. Temporal enforces
     * it in matching for all workers together; an API-set limit overrides the workers' own
     * `maxTaskQueueActivitiesPerSecond` until it is cleared.
     */
    async setQueueRateLimit(input: SetQueueRateLimitInput): Promise<void> {
      const ctx = Context.current();
      await ctx.client.workflowService.updateTaskQueueConfig({
        namespace: ctx.info.workflowNamespace,
        identity: 'agent-fleet-rate-governor',
        taskQueue: input.taskQueue,
        taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
        updateQueueRateLimit: {
          rateLimit:
            input.requestsPerSecond === null
              ? null
              : { requestsPerSecond: input.requestsPerSecond },
          reason:
            input.requestsPerSecond === null
              ? 'Claude retry-after window over'
              : 'Claude answered 429: cooling down for its retry-after window',
        },
      });
    },
  };
}
