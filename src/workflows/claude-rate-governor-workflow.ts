import { condition, continueAsNew, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { createControlActivities } from '../activities/control';
import { claudeRateLimitedSignal } from '../shared';
import { controlActivityOptions } from './activity-options';

type ControlActivities = ReturnType<typeof createControlActivities>;

/** Input of {@link claudeRateGovernorWorkflow}. */
export interface RateGovernorInput {
  /** The Claude-calling activity task queue to throttle. */
  activityTaskQueue: string;
  /** Lowest fleet-wide rate while a retry-after window runs. */
  cooldownRps: number;
  /** Fraction of the recent dispatch rate kept during the window (absent: 0.5). */
  cooldownFactor?: number;
  /**
   * Throttle windows per run before continuing as new (absent: {@link WINDOWS_PER_RUN}). Only the
   * replay-fixture recorder sets it, to capture a continue-as-new in a short history.
   */
  windowsPerRun?: number;
}

/** Halve the rate on a 429 unless configured otherwise (multiplicative decrease). */
const DEFAULT_COOLDOWN_FACTOR = 0.5;

/** Throttle windows handled per run before continuing as new (keeps the history short). */
const WINDOWS_PER_RUN = 200;

/**
 * The fleet-wide answer to a 429: when any worker sees Claude rate-limit us, it signals this
 * workflow, which lowers the activity task queue's server-side rate limit (UpdateTaskQueueConfig,
 * enforced by Temporal's matching service for every worker at once) to a fraction of the recent
 * dispatch rate (at least `cooldownRps`) for the retry-after window, then removes the override
 * so the workers' configured rate applies again. Without it every job would rediscover the limit with its own 429. Being a workflow, the
 * restore is durable: a crash mid-window cannot leave the fleet throttled.
 */
export async function claudeRateGovernorWorkflow(input: RateGovernorInput): Promise<void> {
  const { coolDownQueue, setQueueRateLimit } =
    proxyActivities<ControlActivities>(controlActivityOptions);
  let pendingMs = 0;
  setHandler(claudeRateLimitedSignal, ({ retryAfterMs }) => {
    pendingMs = Math.max(pendingMs, retryAfterMs);
  });

  for (let window = 0; window < (input.windowsPerRun ?? WINDOWS_PER_RUN); window += 1) {
    await condition(() => pendingMs > 0);
    await coolDownQueue({
      taskQueue: input.activityTaskQueue,
      floorRps: input.cooldownRps,
      factor: input.cooldownFactor ?? DEFAULT_COOLDOWN_FACTOR,
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
