import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  TimeoutFailure,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { createActivities } from '../activities';
import {
  FailureType,
  getJobStatusQuery,
  type ChatJobInput,
  type ChatJobState,
  type JobError,
  type ModelUsageTotals,
} from '../shared';
import { startCompletionWebhook } from './completion-webhook';
import { claudeCallOptions } from './activity-options';
import { WORKFLOW_PATCHES } from './patches';
import { addUsage, reportUsageLocally } from './usage-reporting';

type Activities = ReturnType<typeof createActivities>;

/**
 * One chat job: a single model call on the activity workers' task queue, retried by Temporal.
 *
 * The returned state is the job's final view; on failure the same view travels in the failure's
 * details so the API can show it without replaying the workflow.
 */
export async function chatWorkflow(input: ChatJobInput): Promise<ChatJobState> {
  const state: ChatJobState = {
    jobId: input.jobId,
    userId: input.userId,
    status: 'queued',
    priority: input.priority,
    submittedAt: input.submittedAt,
    attempts: 0,
  };
  setHandler(getJobStatusQuery, () => state);

  const { callClaude } = proxyActivities<Activities>(
    claudeCallOptions(
      input.policy,
      input.activityTaskQueue,
      input.priority,
      // Waiting for the cancelled call to stop changes the commands a cancelled job emits, so
      // histories recorded before the change keep the old path. Jobs submitted since carry the
      // choice in their input and skip `patched()`: each call of it writes a marker and a
      // TemporalChangeVersion search-attribute upsert (two history events, a visibility write
      // and a billable action per job). Older inputs lack the field and replay the patch check.
      input.waitForCancellation ?? patched(WORKFLOW_PATCHES.waitForCancellation),
      input.fairness,
    ),
  );

  try {
    const result = await callClaude({
      jobId: input.jobId,
      userId: input.userId,
      message: input.message,
      model: input.model,
      // The activity commits the call's usage before it completes: nothing to report here.
      ...(input.usageByActivity ? { recordUsage: true } : {}),
    });
    state.status = 'completed';
    state.response = result.text;
    state.model = result.model;
    state.stopReason = result.stopReason;
    state.usage = result.usage;
    state.attempts = result.attempt;
    state.startedAt = result.startedAt;
    state.completedAt = result.finishedAt;
    if (result.truncated) state.truncated = true;
    if (result.fallback) state.fallback = true;
    // Jobs submitted before usage was recorded by the activity (histories recorded then).
    if (input.reportUsage) {
      const byModel: Record<string, ModelUsageTotals> = {};
      addUsage(byModel, result.model, result.usage);
      await reportUsageLocally(input.userId, {
        jobId: input.jobId,
        byModel,
        at: result.finishedAt,
      });
    }
    return state;
  } catch (err) {
    // `new Date()` inside a workflow is the deterministic workflow-task time, safe to record.
    state.completedAt = new Date().toISOString();
    if (isCancellation(err)) {
      state.status = 'cancelled';
      throw err;
    }
    state.status = 'failed';
    state.error = describeFailure(err);
    state.attempts = attemptsFromFailure(err) ?? state.attempts;
    throw ApplicationFailure.create({
      type: state.error.type,
      message: state.error.message,
      nonRetryable: true,
      details: [state],
    });
  } finally {
    // Jobs submitted with a callback_url announce their final state (completion-webhook.ts).
    await startCompletionWebhook(input.webhook, state);
  }
}

/** The client-facing type and message of whatever ended the model call. */
export function describeFailure(err: unknown): JobError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? FailureType.ClaudeUnknown, message: cause.message };
  }
  if (cause instanceof TimeoutFailure) {
    // Only schedule-to-close is the job's own deadline; heartbeat and start-to-close timeouts
    // mean the worker running the last attempt was lost.
    return cause.timeoutType === TimeoutType.SCHEDULE_TO_CLOSE
      ? {
          type: FailureType.JobDeadlineExceeded,
          message: 'The job did not finish before its deadline',
        }
      : {
          type: FailureType.WorkerLost,
          message: 'The worker running the last attempt stopped responding',
        };
  }
  return {
    type: FailureType.ClaudeUnknown,
    message: cause instanceof Error ? cause.message : 'The model call failed',
  };
}

/** The attempt count the activity recorded in its last failure's details, if any. */
export function attemptsFromFailure(err: unknown): number | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: unknown } | undefined;
    if (typeof detail?.attempt === 'number') return detail.attempt;
  }
  return undefined;
}
