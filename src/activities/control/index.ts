import { Context } from '@temporalio/activity';
import { recordUsage } from './record-usage';

/** Input of {@link createControlActivities}' `setQueueRateLimit`. */
export interface SetQueueRateLimitInput {
  taskQueue: string;
  /** Requests per second for the whole queue; null removes the override. */
  requestsPerSecond: number | null;
}

/** Input of `coolDownQueue`. */
export interface CoolDownQueueInput {
  taskQueue: string;
  /** Never throttle below this many requests per second. */
  floorRps: number;
  /** Fraction of the recent dispatch rate to allow while cooling down (e.g. 0.5). */
  factor: number;
}

/** TaskQueueType.ACTIVITY in Temporal's API: rate limits apply to activity dispatch. */
const TASK_QUEUE_TYPE_ACTIVITY = 2;

export type { RecordUsageInput } from './record-usage';

/**
 * Control-plane activities run by workflow workers (the rate governor's, and the usage ledger's
 * local activity). They use the worker's own Temporal client (the activity context's), so they
 * need no extra connection or configuration.
 */
export function createControlActivities() {
  /** Sets (or clears, with null) the queue's API-level dispatch rate. */
  async function setRate(taskQueue: string, requestsPerSecond: number | null): Promise<void> {
    const ctx = Context.current();
    await ctx.client.workflowService.updateTaskQueueConfig({
      namespace: ctx.info.workflowNamespace,
      identity: 'agent-fleet-rate-governor',
      taskQueue,
      taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
      updateQueueRateLimit: {
        rateLimit: requestsPerSecond === null ? null : { requestsPerSecond },
        reason:
          requestsPerSecond === null
            ? 'Claude retry-after window over'
            : 'Claude answered 429: cooling down for its retry-after window',
      },
    });
  }

  return {
    recordUsage,
    /**
     * Multiplicative decrease: throttles the queue to `factor` × its recent dispatch rate (at
     * least `floorRps`), so a fleet running at 40/s slows to 20/s rather than to a crawl, while a
     * queue that just started is held near the floor. Returns the rate it set.
     */
    async coolDownQueue(input: CoolDownQueueInput): Promise<number> {
      const ctx = Context.current();
      const res = await ctx.client.workflowService.describeTaskQueue({
        namespace: ctx.info.workflowNamespace,
        taskQueue: { name: input.taskQueue, kind: 1 },
        taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
        reportStats: true,
      });
      const recent = res.stats?.tasksDispatchRate ?? 0;
      const rate = Math.max(input.floorRps, recent * input.factor);
      await setRate(input.taskQueue, rate);
      return rate;
    },
    /**
     * Sets (or clears) the server-side dispatch rate of an activity task queue. Temporal enforces
     * it in matching for all workers together; an API-set limit overrides the workers' own
     * `maxTaskQueueActivitiesPerSecond` until it is cleared.
     */
    async setQueueRateLimit(input: SetQueueRateLimitInput): Promise<void> {
      await setRate(input.taskQueue, input.requestsPerSecond);
    },
  };
}
