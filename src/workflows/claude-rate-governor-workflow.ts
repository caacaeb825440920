import { condition, continueAsNew, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { createControlActivities } from '../activities/control';
import { claudeRateLimitedSignal } from '../shared';
import { controlActivityOptions } from './activity-options';

type ControlActivities = ReturnType<typeof createControlActivities>;

/** Input of {@link claudeRateGovernorWorkflow}. */
export interface RateGovernorInput {
  /** The Claude-calling activity task queue to throttle. */
  activityTaskQueue: string;
  /** Fleet-wide rate while a retry-after window runs. */
  cooldownRps: number;
}

/** Throttle windows handled per run before continuing as new (keeps the history short). */
const WINDOWS_PER_RUN = 200;

/**
 * The fleet-wide answer to a 429: when any worker sees Claude rate-limit us, it signals this
 * workflow, which lowers the activity task queue's server-side rate limit (UpdateTaskQueueConfig,
 * enforced by Temporal's matching service for every worker at once) to `cooldownRps` for the
 * retry-after window, then removes the override so the workers' configured rate applies again.
 * Without it every job would rediscover the limit with its own 429. Being a workflow, the
 * restore is durable: a crash mid-window cannot leave the fleet throttled.
 */
export async function claudeRateGovernorWorkflow(input: RateGovernorInput): Promise<void> {
  const { setQueueRateLimit } = proxyActivities<ControlActivities>(controlActivityOptions);
  let pendingMs = 0;
  setHandler(claudeRateLimitedSignal, ({ retryAfterMs }) => {
    pendingMs = Math.max(pendingMs, retryAfterMs);
  });

  for (let window = 0; window < WINDOWS_PER_RUN; window += 1) {
    await condition(() => pendingMs > 0);
    await setQueueRateLimit({
      taskQueue: input.activityTaskQueue,
      requestsPerSecond: input.cooldownRps,
    });
    // Signals that arrive while we sleep extend the window by what they ask for.
    while (pendingMs > 0) {
      const waitMs = pendingMs;
      pendingMs = 0;
      await sleep(waitMs);
    }
    await setQueueRateLimit({ taskQueue: input.activityTaskQueue, requestsPerSecond: null });
  }
  await continueAsNew<typeof claudeRateGovernorWorkflow>(input);
}
