import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WorkflowFailedError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { ApiMetrics } from '../observability/api-metrics';
import {
  AGENT_WORKFLOW_TYPE,
  CHAT_WORKFLOW_TYPE,
  FailureType,
  SEARCH_ATTRIBUTES,
  getJobStatusQuery,
  type ChatJobState,
} from '../shared';
import { decodeRawFailureMessage } from '../security/raw-payloads';
import type { chatWorkflow } from '../workflows';
import { FinishedJobCache } from './finished-job-cache';
import { HttpError } from './http-error';
import { stateFromMemo, toJobView, type JobMemo } from './job-view';
import {
  callWithin,
  capDeadline,
  deadlineIn,
  settleWithin,
  type Deadline,
} from './request-deadline';
import type { JobView } from './schemas';
import { createSingleFlight } from './single-flight';
import { isFinalStatus } from './wait-for-job';
import { readWebhookStatus } from './webhook-status';

/** PendingActivityState.STARTED in Temporal's API: a worker is running the attempt right now. */
const PENDING_ACTIVITY_STARTED = 2;

/** The model-call activities, the pending activity a job's status is read from. */
const MODEL_CALL_ACTIVITIES = new Set(['callClaude', 'callClaudeAgent']);

/**
 * A chat job's history up to its model call is Started, WFT Scheduled/Started/Completed and
 * ActivityTaskScheduled (5 events): a running chat job with more events and no pending model
 * call has finished its call and is closing.
 */
const CHAT_EVENTS_UNTIL_CALL = 5;

/** After a status query times out, skip queries for this long: no worker is answering. */
const QUERY_BACKOFF_MS = 5_000;

/** Pause between reads while DELETE waits for the cancelled job to close. */
const CANCEL_POLL_MS = 100;

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/** Outcome of a cancellation request. */
export type CancelResult =
  | { outcome: 'not_found' }
  | { outcome: 'already_finished'; view: JobView }
  | { outcome: 'cancelled'; view: JobView }
  | { outcome: 'cancelling'; view: JobView };

/** The Temporal side of reading and cancelling jobs (submission: job-submission.ts). */
export interface JobService {
  /** The job's view, or undefined when no such job exists; Temporal calls end by `deadline`. */
  get(jobId: string, deadline: Deadline): Promise<JobView | undefined>;
  cancel(jobId: string, deadline: Deadline): Promise<CancelResult>;
}

/** Dependencies of {@link createJobService}. */
export interface JobServiceDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
  /**
   * Job outcome metrics, recorded when this process first reads a finished job. Caveats: a job
   * nobody polls is never counted; with several API replicas each counts the jobs its clients
   * poll (sum them); a job evicted from the finished-job cache and read again counts twice.
   * Workflow code cannot do this I/O itself, and Temporal's own metrics carry no job labels.
   */
  metrics?: ApiMetrics;
}

/**
 * Creates the job service. Reads follow the cheapest path that is still exact:
 * - finished jobs come from an in-memory cache or the workflow's close event (never a replay);
 * - a running plain chat job from ONE `describe` (served by the server alone): its memo and the
 *   pending model call (attempt, state, last failure, start time) are all a client sees of it.
 *   No query: a query travels through matching to a workflow worker and back for nothing new.
 *   The one exception is the instant between the call's completion and the close, when the
 *   describe no longer shows the call: then the query tells the attempts and the response;
 * - a running agent job (tool loop, conversation turn) from `describe` plus its status query:
 *   its `steps` (each model and tool call so far) exist only in the workflow's state.
 * Concurrent polls of the same job share one read, and its answer is reused for POLL_REUSE_MS
 * (default 100 ms): a view is at most that plus one describe's latency old.
 */
export function createJobService(deps: JobServiceDeps): JobService {
  const { client, config } = deps;
  const finished = new FinishedJobCache<JobView>(config.http.finishedJobCacheSize);
  const reads = createSingleFlight<JobView | undefined>(config.http.pollReuseMs);
  let queryBackoffUntil = 0;
  /** Jobs already counted as finished (bounded: a job evicted and read again counts twice). */
  const recorded = new FinishedJobCache<true>(Math.max(config.http.finishedJobCacheSize, 10_000));

  async function cancel(jobId: string, deadline: Deadline): Promise<CancelResult> {
    const before = await get(jobId, deadline);
    if (!before) return { outcome: 'not_found' };
    if (isFinalStatus(before.status)) return { outcome: 'already_finished', view: before };
    const handle = client.workflow.getHandle(jobId);
    try {
      await callWithin(client, deadline, () => handle.cancel());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // It finished between our read and the cancel request.
        const view = await get(jobId, deadline);
        return view ? { outcome: 'already_finished', view } : { outcome: 'not_found' };
      }
      throw err;
    }
    // The workflow closes once the model call has really been aborted (WAIT_CANCELLATION_COMPLETED).
    // The cancellation is requested: from here on, a read that fails answers "cancelling".
    const until = Date.now() + config.http.cancelWaitMs;
    let view = before;
    for (;;) {
      try {
        const read = await get(jobId, deadlineIn(config.http.temporalRpcTimeoutMs));
        if (!read) return { outcome: 'not_found' };
        view = read;
      } catch (err) {
        if (err instanceof HttpError && err.status === 503) return { outcome: 'cancelling', view };
        throw err;
      }
      if (view.status === 'cancelled') return { outcome: 'cancelled', view };
      if (view.status === 'completed' || view.status === 'failed')
        return { outcome: 'already_finished', view };
      if (Date.now() >= until) return { outcome: 'cancelling', view };
      await new Promise((resolve) => setTimeout(resolve, CANCEL_POLL_MS));
    }
  }

  async function get(jobId: string, deadline: Deadline): Promise<JobView | undefined> {
    const cached = finished.get(jobId);
    if (cached) return cached;
    // The shared read has its own deadline (a joiner may have a later one than the first
    // caller); each caller still stops waiting at its own.
    return settleWithin(
      deadline,
      reads.run(jobId, () => read(jobId, deadlineIn(config.http.temporalRpcTimeoutMs))),
    );
  }

  async function read(jobId: string, deadline: Deadline): Promise<JobView | undefined> {
    const handle = client.workflow.getHandle<typeof chatWorkflow>(jobId);
    let description: WorkflowExecutionDescription;
    try {
      description = await callWithin(client, deadline, () => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    // Agent jobs (tool loop, conversation turns) share the chat job's state shape and memo.
    if (description.type !== CHAT_WORKFLOW_TYPE && description.type !== AGENT_WORKFLOW_TYPE) {
      return undefined;
    }
    const memo = description.memo as JobMemo | undefined;
    if (!memo) return undefined;

    if (description.status.name === 'RUNNING') {
      const view = await withWebhook(
        toJobView(
          await runningState(handle, description, stateFromMemo(jobId, memo), deadline),
          config.observability.prices,
        ),
        memo,
        deadline,
      );
      // The workflow's query can report the final state a moment before the server records the
      // close; a client that stops polling then must still see the job counted.
      if (isFinalStatus(view.status)) recordFinished(view);
      return view;
    }
    const final = await callWithin(client, deadline, () =>
      finishedState(handle, description, stateFromMemo(jobId, memo)),
    );
    const view = await withWebhook(toJobView(final, config.observability.prices), memo, deadline);
    // A webhook still being delivered changes: such a view is read afresh each time.
    if (view.webhook?.status !== 'pending') finished.set(jobId, view);
    recordFinished(view);
    return view;
  }

  /** The view plus its webhook's delivery status, for jobs submitted with a `callback_url`. */
  async function withWebhook(view: JobView, memo: JobMemo, deadline: Deadline): Promise<JobView> {
    if (!memo.webhook) return view;
    return { ...view, webhook: await readWebhookStatus(client, view.job_id, deadline) };
  }

  /** The workflow's own state through its status query, or undefined when no worker answers. */
  async function queried(
    handle: WorkflowHandle<typeof chatWorkflow>,
    deadline: Deadline,
  ): Promise<ChatJobState | undefined> {
    if (Date.now() < queryBackoffUntil) return undefined;
    try {
      return await callWithin(client, capDeadline(deadline, config.http.statusQueryTimeoutMs), () =>
        handle.query(getJobStatusQuery),
      );
    } catch (err) {
      // No workflow worker answered: the server's own description still tells the truth.
      queryBackoffUntil = Date.now() + QUERY_BACKOFF_MS;
      deps.logger.debug(
        { job_id: handle.workflowId, err: (err as Error).message },
        'status query unavailable',
      );
      return undefined;
    }
  }

  /** Live state: the server's description, plus the workflow's query where it adds something. */
  async function runningState(
    handle: WorkflowHandle<typeof chatWorkflow>,
    description: WorkflowExecutionDescription,
    base: ChatJobState,
    deadline: Deadline,
  ): Promise<ChatJobState> {
    const pending = description.raw.pendingActivities?.find((activity) =>
      MODEL_CALL_ACTIVITIES.has(activity.activityType?.name ?? ''),
    );
    if (description.type === CHAT_WORKFLOW_TYPE) {
      if (pending) return withPendingCall(base, pending);
      if ((description.historyLength ?? 0) < CHAT_EVENTS_UNTIL_CALL) return base;
      // The call finished and the workflow is closing: only the workflow knows the outcome yet.
      return (await queried(handle, deadline)) ?? { ...base, status: 'processing' };
    }
    // Agent jobs: the query carries the steps so far. Without a worker to ask, the search
    // attribute in the describe still tells a job waiting for a human decision.
    const state = (await queried(handle, deadline)) ?? withApprovalFlag(base, description);
    return pending && state.status === 'queued' ? withPendingCall(state, pending) : state;
  }

  /** The job as the pending model call shows it: its attempt, start and last failure. */
  async function withPendingCall(
    state: ChatJobState,
    pending: PendingActivity,
  ): Promise<ChatJobState> {
    const started = Number(pending.state) === PENDING_ACTIVITY_STARTED;
    // `attempt` is the attempt running now, or the next one while the activity waits to retry.
    const attempt = pending.attempt ?? 1;
    const attempts = Math.max(state.attempts, started ? attempt : attempt - 1);
    const lastFailure = pending.lastFailure;
    // Raw from describe: the message may be encoded (and encrypted) in encodedAttributes.
    const lastFailureMessage = lastFailure
      ? await decodeRawFailureMessage(client, lastFailure)
      : undefined;
    return {
      ...state,
      status: started || attempts > 0 ? 'processing' : 'queued',
      attempts,
      ...(started ? { startedAt: optionalTsToDate(pending.lastStartedTime)?.toISOString() } : {}),
      ...(lastFailure
        ? {
            error: {
              type: lastFailure.applicationFailureInfo?.type ?? FailureType.ClaudeUnknown,
              message: lastFailureMessage ?? 'The last attempt failed',
            },
          }
        : {}),
    };
  }

  /** First sight of a finished job in this process: one log line and its outcome metrics. */
  function recordFinished(view: JobView): void {
    if (recorded.get(view.job_id)) return;
    recorded.set(view.job_id, true);
    const durationMs =
      view.completed_at !== undefined
        ? Date.parse(view.completed_at) - Date.parse(view.submitted_at)
        : undefined;
    deps.logger.info(
      {
        job_id: view.job_id,
        workflow_id: view.job_id,
        user_id: view.user_id,
        status: view.status,
        priority: view.priority,
        attempts: view.attempts,
        ...(view.error ? { failure_type: view.error.type } : {}),
        ...(durationMs !== undefined ? { duration_ms: durationMs } : {}),
      },
      'job finished',
    );
    deps.metrics?.recordFinishedJob({
      status: view.status,
      priority: view.priority,
      failureType: view.error?.type,
      attempts: view.attempts,
      submittedAt: view.submitted_at,
      startedAt: view.started_at,
      completedAt: view.completed_at,
    });
  }

  return { get, cancel };
}

/** Final state of a closed job, read from its close event (the workflow is not replayed). */
async function finishedState(
  handle: WorkflowHandle<typeof chatWorkflow>,
  description: WorkflowExecutionDescription,
  base: ChatJobState,
): Promise<ChatJobState> {
  const closedAt = description.closeTime?.toISOString();
  switch (description.status.name) {
    case 'COMPLETED':
      return handle.result();
    case 'CANCELLED':
      return { ...base, status: 'cancelled', completedAt: closedAt };
    case 'FAILED':
      try {
        await handle.result();
      } catch (err) {
        const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
        if (cause instanceof ApplicationFailure) {
          const detail = cause.details?.[0] as ChatJobState | undefined;
          if (detail?.jobId === base.jobId) return detail;
          return {
            ...base,
            status: 'failed',
            completedAt: closedAt,
            error: { type: cause.type ?? FailureType.ClaudeUnknown, message: cause.message },
          };
        }
      }
      return failed(base, closedAt, FailureType.ClaudeUnknown, 'The job failed');
    case 'TERMINATED':
      return failed(
        base,
        closedAt,
        FailureType.JobTerminated,
        'The job was terminated by an operator',
      );
    case 'TIMED_OUT':
      return failed(
        base,
        closedAt,
        FailureType.JobDeadlineExceeded,
        'The job did not finish before its deadline',
      );
    default:
      return failed(
        base,
        closedAt,
        FailureType.ClaudeUnknown,
        `The job ended as ${description.status.name}`,
      );
  }
}

/** The memo's state, marked `awaiting_approval` when the describe's search attribute says so. */
function withApprovalFlag(
  base: ChatJobState,
  description: WorkflowExecutionDescription,
): ChatJobState {
  const flag = description.searchAttributes[SEARCH_ATTRIBUTES.awaitingApproval.name];
  return flag?.[0] === true ? { ...base, status: 'awaiting_approval' } : base;
}

function failed(
  base: ChatJobState,
  completedAt: string | undefined,
  type: string,
  message: string,
): ChatJobState {
  return { ...base, status: 'failed', completedAt, error: { type, message } };
}
