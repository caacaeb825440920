import type { TokenCounts } from './price-table';
import type { WorkerMetrics } from './worker-metrics';
import { secondsBetween } from './registry';

/** Facts about one model-call attempt known when it starts. */
export interface ClaudeCallStart {
  model: string;
  /** Temporal attempt number (1 = first). */
  attempt: number;
  /** Task-queue priority key of the activity, when set. */
  priorityKey?: number;
  /** When Temporal scheduled this attempt (epoch ms): the start of its queue wait. */
  scheduledAtMs: number;
  /** When the worker started the attempt (epoch ms). */
  startedAtMs: number;
}

/** Records the metrics of one attempt; every method is a no-op without metrics. */
export interface ClaudeCallRecorder {
  /** The first streamed token arrived (only the first call counts). */
  firstToken(): void;
  success(usage: TokenCounts): void;
  failure(failureType: string, retryable: boolean): void;
  cancelled(): void;
}

/**
 * Starts recording one model-call attempt: queue wait and retry count now, in-flight until it
 * ends, then duration, tokens, cost and errors. Kept out of the activity so the activity reads as
 * the call itself.
 */
export function recordClaudeCall(
  metrics: WorkerMetrics | undefined,
  start: ClaudeCallStart,
): ClaudeCallRecorder {
  if (!metrics) {
    return { firstToken() {}, success() {}, failure() {}, cancelled() {} };
  }
  const { model } = start;
  metrics.claudeScheduleToStart.observe(
    { priority: start.priorityKey === undefined ? 'default' : String(start.priorityKey) },
    secondsBetween(start.scheduledAtMs, start.startedAtMs),
  );
  if (start.attempt > 1) metrics.claudeRetries.inc({ model });
  metrics.claudeInFlight.inc({ model });
  let firstTokenSeen = false;
  let ended = false;

  function end(outcome: 'success' | 'error' | 'cancelled'): void {
    if (ended) return;
    ended = true;
    metrics!.claudeInFlight.dec({ model });
    metrics!.claudeCalls.inc({ model, outcome });
    metrics!.claudeCallDuration.observe(
      { model, outcome },
      secondsBetween(start.startedAtMs, Date.now()),
    );
  }

  return {
    firstToken() {
      if (firstTokenSeen) return;
      firstTokenSeen = true;
      metrics.claudeTimeToFirstToken.observe(
        { model },
        secondsBetween(start.startedAtMs, Date.now()),
      );
    },
    success(usage) {
      metrics.recordUsage(model, usage);
      end('success');
    },
    failure(failureType, retryable) {
      metrics.recordError(model, failureType, retryable);
      end('error');
    },
    cancelled() {
      end('cancelled');
    },
  };
}
