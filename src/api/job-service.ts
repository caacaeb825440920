import { createHash, randomUUID } from 'node:crypto';
import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WorkflowFailedError,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { ApiMetrics } from '../observability/api-metrics';
import {
  AGENT_WORKFLOW_TYPE,
  CHAT_WORKFLOW_TYPE,
  FailureType,
  getJobStatusQuery,
  toTemporalPriority,
  type ModelSettings,
  type ChatJobInput,
  type ChatJobState,
  type PriorityLevel,
} from '../shared';
import { decodeRawFailureMessage } from '../security/raw-payloads';
import type { chatWorkflow } from '../workflows';
import { FinishedJobCache } from './finished-job-cache';
import { HttpError } from './http-error';
import {
  fairnessFor,
  jobIdForIdempotencyKey,
  jobSearchAttributes,
  toUnavailable,
} from './temporal-calls';
import { stateFromMemo, toJobView, type JobMemo } from './job-view';
import type { JobView } from './schemas';

/** PendingActivityState.STARTED in Temporal's API: a worker is running the attempt right now. */
const PENDING_ACTIVITY_STARTED = 2;

/** After a status query times out, skip queries for this long: no worker is answering. */
const QUERY_BACKOFF_MS = 5_000;

/** What a submission needs. */
export interface SubmitJob {
  userId: string;
  message: string;
  priority: PriorityLevel;
  /** Overall deadline of this job in milliseconds (already capped by configuration). */
  deadlineMs?: number;
  /** Client-chosen key making the submission idempotent for this user. */
  idempotencyKey?: string;
  /** Model settings after validation against what the operator allows (default: config). */
  model?: ModelSettings;
}

/** Outcome of a submission. */
export interface SubmitResult {
  jobId: string;
  submittedAt: string;
  /** False when an idempotent retry found the job this key already started. */
  created: boolean;
}

/** Outcome of a cancellation request. */
export type CancelResult =
  | { outcome: 'not_found' }
  | { outcome: 'already_finished'; view: JobView }
  | { outcome: 'cancelled'; view: JobView }
  | { outcome: 'cancelling'; view: JobView };

/** The Temporal side of the chat endpoints: start jobs, read and cancel them. */
export interface JobService {
  submit(job: SubmitJob): Promise<SubmitResult>;
  /** The job's view, or undefined when no such job exists. */
  get(jobId: string): Promise<JobView | undefined>;
  cancel(jobId: string): Promise<CancelResult>;
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

/** Fingerprint of what a submission asks for, to detect a key reused with another body. */
function requestFingerprint(job: SubmitJob): string {
  return createHash('sha256')
    .update(JSON.stringify([job.message, job.priority, job.deadlineMs ?? null]))
    .digest('hex');
}

/**
 * Creates the job service. Reads follow the cheapest path that is still exact:
 * finished jobs come from an in-memory cache or the workflow's close event (never a replay);
 * running jobs from `describe` (served by the server alone) refined by the workflow's status
 * query when a worker answers in time.
 */
export function createJobService(deps: JobServiceDeps): JobService {
  const { client, config } = deps;
  const finished = new FinishedJobCache<JobView>(config.http.finishedJobCacheSize);
  let queryBackoffUntil = 0;
  /** Jobs already counted as finished (bounded: a job evicted and read again counts twice). */
  const recorded = new FinishedJobCache<true>(Math.max(config.http.finishedJobCacheSize, 10_000));

  /** Runs one Temporal call with a deadline, so an outage becomes a 503 instead of a hang. */
  function bounded<T>(call: () => Promise<T>): Promise<T> {
    return client.withDeadline(Date.now() + config.http.temporalRpcTimeoutMs, call);
  }

  async function submit(job: SubmitJob): Promise<SubmitResult> {
    const jobId = job.idempotencyKey
      ? jobIdForIdempotencyKey(job.userId, job.idempotencyKey)
      : randomUUID();
    const submittedAt = new Date().toISOString();
    const fingerprint = requestFingerprint(job);
    const started = Date.now();
    const input: ChatJobInput = {
      jobId,
      userId: job.userId,
      message: job.message,
      priority: job.priority,
      submittedAt,
      model: job.model ?? config.claude.model,
      policy: {
        ...config.claude.policy,
        deadlineMs: job.deadlineMs ?? config.claude.policy.deadlineMs,
      },
      activityTaskQueue: config.taskQueues.activities,
      fairness: fairnessFor(job.userId, config.scheduling.fairnessWeights),
      waitForCancellation: true,
      // The model-call activity commits the job's usage (src/usage): no history event for it.
      ...(config.observability.usageLedgerChatJobs ? { usageByActivity: true } : {}),
    };
    const memo: JobMemo = {
      user_id: job.userId,
      priority: job.priority,
      submitted_at: submittedAt,
      request_hash: fingerprint,
    };
    try {
      await bounded(() =>
        client.workflow.start<typeof chatWorkflow>(CHAT_WORKFLOW_TYPE, {
          taskQueue: config.taskQueues.workflows,
          workflowId: jobId,
          // With an idempotency key the id is deterministic: never start it twice, even after the
          // first run finished (dedupe lasts as long as the namespace retains closed workflows).
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [input],
          memo: { ...memo },
          typedSearchAttributes: jobSearchAttributes(job.userId, job.priority),
          priority: toTemporalPriority(job.priority, input.fairness),
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && job.idempotencyKey) {
        return existingSubmission(jobId, fingerprint);
      }
      throw toUnavailable(err);
    }
    const fields = { job_id: jobId, workflow_id: jobId, user_id: job.userId };
    deps.logger.info(
      { ...fields, priority: job.priority, duration_ms: Date.now() - started },
      'job submitted',
    );
    // The user's text may be personal data: only at debug level, never by default.
    deps.logger.debug({ ...fields, message: job.message }, 'job message');
    return { jobId, submittedAt, created: true };
  }

  /** An idempotent retry: the same key and body return the original job; another body is a 409. */
  async function existingSubmission(jobId: string, fingerprint: string): Promise<SubmitResult> {
    let description: WorkflowExecutionDescription;
    try {
      description = await bounded(() => client.workflow.getHandle(jobId).describe());
    } catch (err) {
      throw toUnavailable(err);
    }
    const memo = description.memo as JobMemo | undefined;
    if (memo?.request_hash !== fingerprint) {
      throw new HttpError(
        409,
        'idempotency_key_conflict',
        'This Idempotency-Key was already used with a different request',
        [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
      );
    }
    return { jobId, submittedAt: memo.submitted_at, created: false };
  }

  async function cancel(jobId: string): Promise<CancelResult> {
    const before = await get(jobId);
    if (!before) return { outcome: 'not_found' };
    if (
      before.status === 'completed' ||
      before.status === 'failed' ||
      before.status === 'cancelled'
    ) {
      return { outcome: 'already_finished', view: before };
    }
    const handle = client.workflow.getHandle(jobId);
    try {
      await bounded(() => handle.cancel());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // It finished between our read and the cancel request.
        const view = await get(jobId);
        return view ? { outcome: 'already_finished', view } : { outcome: 'not_found' };
      }
      throw toUnavailable(err);
    }
    // The workflow closes once the model call has really been aborted (WAIT_CANCELLATION_COMPLETED).
    const deadline = Date.now() + config.http.cancelWaitMs;
    for (;;) {
      const view = await get(jobId);
      if (!view) return { outcome: 'not_found' };
      if (view.status === 'cancelled') return { outcome: 'cancelled', view };
      if (view.status === 'completed' || view.status === 'failed')
        return { outcome: 'already_finished', view };
      if (Date.now() >= deadline) return { outcome: 'cancelling', view };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function get(jobId: string): Promise<JobView | undefined> {
    const cached = finished.get(jobId);
    if (cached) return cached;
    const handle = client.workflow.getHandle<typeof chatWorkflow>(jobId);
    let description: WorkflowExecutionDescription;
    try {
      description = await bounded(() => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw toUnavailable(err);
    }
    // Agent jobs (tool loop, conversation turns) share the chat job's state shape and memo.
    if (description.type !== CHAT_WORKFLOW_TYPE && description.type !== AGENT_WORKFLOW_TYPE) {
      return undefined;
    }
    const memo = description.memo as JobMemo | undefined;
    if (!memo) return undefined;

    if (description.status.name === 'RUNNING') {
      const view = toJobView(
        await runningState(handle, description, stateFromMemo(jobId, memo)),
        config.observability.prices,
      );
      // The workflow's query can report the final state a moment before the server records the
      // close; a client that stops polling then must still see the job counted.
      if (isFinalStatus(view.status)) recordFinished(view);
      return view;
    }
    let final: ChatJobState;
    try {
      final = await bounded(() => finishedState(handle, description, stateFromMemo(jobId, memo)));
    } catch (err) {
      throw toUnavailable(err);
    }
    const view = toJobView(final, config.observability.prices);
    finished.set(jobId, view);
    recordFinished(view);
    return view;
  }

  /** Live state: the workflow's own view when a worker answers quickly, merged with the server's. */
  async function runningState(
    handle: WorkflowHandle<typeof chatWorkflow>,
    description: WorkflowExecutionDescription,
    base: ChatJobState,
  ): Promise<ChatJobState> {
    let state = base;
    if (Date.now() >= queryBackoffUntil) {
      try {
        state = await client.withDeadline(Date.now() + config.http.statusQueryTimeoutMs, () =>
          handle.query(getJobStatusQuery),
        );
      } catch (err) {
        // No workflow worker answered: the server's own description still tells the truth.
        queryBackoffUntil = Date.now() + QUERY_BACKOFF_MS;
        deps.logger.debug(
          { job_id: base.jobId, err: (err as Error).message },
          'status query unavailable',
        );
      }
    }
    const pending = description.raw.pendingActivities?.[0];
    if (!pending || state.status !== 'queued') return state;
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

  return { submit, get, cancel };
}

function isFinalStatus(status: JobView['status']): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
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

function failed(
  base: ChatJobState,
  completedAt: string | undefined,
  type: string,
  message: string,
): ChatJobState {
  return { ...base, status: 'failed', completedAt, error: { type, message } };
}
