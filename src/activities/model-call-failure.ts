import { ApplicationFailure, CancelledFailure, type Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { recordClaudeCall } from '../observability/claude-call-recorder';
import {
  FailureType,
  RATE_GOVERNOR_WORKFLOW_TYPE,
  claudeRateLimitedSignal,
  rateGovernorWorkflowId,
} from '../shared';
import { classifyClaudeError } from './classify-claude-error';
import { recordOverloadOutcome, type OverloadState } from './overload-fallback';

/** The fleet-wide rate governor that 429s are reported to. */
export interface RateGovernorTarget {
  /** Task queue of the workflow workers (the governor workflow runs there). */
  workflowTaskQueue: string;
  /** The Claude activity task queue it throttles. */
  activityTaskQueue: string;
  cooldownRps: number;
  cooldownFactor?: number;
}

/** Window assumed when a 429 names no retry-after. */
const DEFAULT_RATE_LIMIT_WINDOW_MS = 1_000;

/**
 * How often to heartbeat for a given heartbeat timeout: three beats per timeout, so one lost or
 * throttled beat never makes a live worker look dead.
 */
export function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined): number {
  return Math.max(200, Math.floor((heartbeatTimeoutMs ?? 30_000) / 3));
}

/**
 * Tells the governor that Claude is rate-limiting us, starting it if needed. Best effort: a
 * failure here must never fail the model call's own retry, so it is logged and dropped.
 */
function reportRateLimit(
  ctx: Context,
  target: RateGovernorTarget,
  retryAfterMs: number,
  log: Logger,
): void {
  ctx.client.workflow
    .signalWithStart(RATE_GOVERNOR_WORKFLOW_TYPE, {
      workflowId: rateGovernorWorkflowId(target.activityTaskQueue),
      taskQueue: target.workflowTaskQueue,
      args: [
        {
          activityTaskQueue: target.activityTaskQueue,
          cooldownRps: target.cooldownRps,
          ...(target.cooldownFactor !== undefined ? { cooldownFactor: target.cooldownFactor } : {}),
        },
      ],
      signal: claudeRateLimitedSignal,
      signalArgs: [{ retryAfterMs }],
    })
    .catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, 'could not notify the rate governor');
    });
}

/** What {@link modelCallFailure} needs to know about the failed call. */
export interface ModelCallFailureContext {
  ctx: Context;
  attempt: number;
  startedAt: Date;
  recorder: ReturnType<typeof recordClaudeCall>;
  log: Logger;
  /** Log message prefix, e.g. "model call" or "agent model call". */
  label: string;
  rateGovernor?: RateGovernorTarget;
  /** The call's heartbeat progress and the overload state its attempt started from. */
  overload: { progress: OverloadState; state: Required<OverloadState> };
}

/**
 * The error a model-call activity throws when its call failed, for every kind of model call:
 * a retryable `WorkerShutdown` when this process is stopping past its grace (so another worker
 * retries, instead of the job reading "cancelled"); the cancellation itself when the job was
 * cancelled; otherwise the classified `ApplicationFailure`, after reporting a 429 to the
 * fleet-wide rate governor. Records metrics and logs once, in the same words for all callers,
 * and leaves the overload state (run of 529s) for the next attempt.
 */
export function modelCallFailure(err: unknown, call: ModelCallFailureContext): Error {
  const failure = failureFor(err, call);
  // The next attempt learns from this one's last heartbeat whether Claude said 529 again.
  recordOverloadOutcome(call.ctx, call.overload.progress, call.overload.state, failure);
  return failure;
}

function failureFor(err: unknown, call: ModelCallFailureContext): Error {
  const { ctx, attempt, recorder, log, label } = call;
  const durationMs = Date.now() - call.startedAt.getTime();
  if (ctx.cancellationSignal.aborted && ctx.cancellationDetails?.workerShutdown) {
    recorder.failure(FailureType.WorkerShutdown, true);
    log.info(`${label} interrupted by worker shutdown; it will be retried elsewhere`);
    return ApplicationFailure.create({
      type: FailureType.WorkerShutdown,
      message: 'The worker shut down during the model call',
      details: [{ attempt, status: null }],
    });
  }
  if (ctx.cancellationSignal.aborted) {
    recorder.cancelled();
    log.info({ duration_ms: durationMs }, `${label} cancelled`);
    return err instanceof CancelledFailure ? err : new CancelledFailure('Model call cancelled');
  }
  const failure = classifyClaudeError(err, attempt);
  if (failure.type === FailureType.ClaudeRateLimited && call.rateGovernor) {
    const delay: unknown = failure.nextRetryDelay;
    const windowMs = typeof delay === 'number' ? delay : DEFAULT_RATE_LIMIT_WINDOW_MS;
    reportRateLimit(ctx, call.rateGovernor, windowMs, log);
  }
  recorder.failure(failure.type ?? 'ClaudeUnknown', !failure.nonRetryable);
  log.warn(
    { failure_type: failure.type, retryable: !failure.nonRetryable, duration_ms: durationMs },
    `${label} failed`,
  );
  return failure;
}
