import { randomUUID } from 'node:crypto';
import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WorkflowFailedError,
  isGrpcServiceError,
} from '@temporalio/client';
import {
  ApplicationFailure,
  SearchAttributeType,
  WorkflowNotFoundError,
  defineSearchAttributeKey,
} from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import {
  CHAT_WORKFLOW_TYPE,
  FailureType,
  SEARCH_ATTRIBUTES,
  getJobStatusQuery,
  toTemporalPriorityKey,
  type ChatJobInput,
  type ChatJobState,
  type PriorityLevel,
} from '../shared';
import type { chatWorkflow } from '../workflows';
import { FinishedJobCache } from './finished-job-cache';
import { HttpError } from './http-error';
import { stateFromMemo, toJobView, type JobMemo } from './job-view';
import type { JobView } from './schemas';

const userIdKey = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.userId.name,
  SearchAttributeType.KEYWORD,
);
const priorityKey = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.priority.name,
  SearchAttributeType.INT,
);

/** PendingActivityState.STARTED in Temporal's API: a worker is running the attempt right now. */
const PENDING_ACTIVITY_STARTED = 2;

/** After a status query times out, skip queries for this long: no worker is answering. */
const QUERY_BACKOFF_MS = 5_000;

/** What a submission needs. */
export interface SubmitJob {
  userId: string;
  message: string;
  priority: PriorityLevel;
}

/** The Temporal side of the chat endpoints: start jobs and read their state. */
export interface JobService {
  submit(job: SubmitJob): Promise<{ jobId: string; submittedAt: string }>;
  /** The job's view, or undefined when no such job exists. */
  get(jobId: string): Promise<JobView | undefined>;
}

/** Dependencies of {@link createJobService}. */
export interface JobServiceDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
}

/** Temporal gRPC codes that mean "the server is unreachable or overloaded right now". */
const UNAVAILABLE_CODES = new Set<number>([
  grpcStatus.UNAVAILABLE,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.RESOURCE_EXHAUSTED,
]);

/** Maps an unreachable Temporal to a 503 with Retry-After instead of a hang or a 500. */
function toUnavailable(err: unknown): unknown {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const grpc = isGrpcServiceError(err) ? err : isGrpcServiceError(cause) ? cause : undefined;
  if (grpc && UNAVAILABLE_CODES.has(grpc.code)) {
    return HttpError.unavailable('The workflow service is temporarily unavailable', 2);
  }
  return err;
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

  async function submit(job: SubmitJob): Promise<{ jobId: string; submittedAt: string }> {
    const jobId = randomUUID();
    const submittedAt = new Date().toISOString();
    const input: ChatJobInput = {
      jobId,
      userId: job.userId,
      message: job.message,
      priority: job.priority,
      submittedAt,
      model: config.claude.model,
      policy: config.claude.policy,
      activityTaskQueue: config.taskQueues.activities,
    };
    const memo: JobMemo = {
      user_id: job.userId,
      priority: job.priority,
      submitted_at: submittedAt,
    };
    try {
      await client.workflow.start<typeof chatWorkflow>(CHAT_WORKFLOW_TYPE, {
        taskQueue: config.taskQueues.workflows,
        workflowId: jobId,
        args: [input],
        memo: { ...memo },
        typedSearchAttributes: [
          { key: userIdKey, value: job.userId },
          { key: priorityKey, value: job.priority },
        ],
        priority: { priorityKey: toTemporalPriorityKey(job.priority) },
      });
    } catch (err) {
      throw toUnavailable(err);
    }
    return { jobId, submittedAt };
  }

  async function get(jobId: string): Promise<JobView | undefined> {
    const cached = finished.get(jobId);
    if (cached) return cached;
    const handle = client.workflow.getHandle<typeof chatWorkflow>(jobId);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw toUnavailable(err);
    }
    if (description.type !== CHAT_WORKFLOW_TYPE) return undefined;
    const memo = description.memo as JobMemo | undefined;
    if (!memo) return undefined;

    if (description.status.name === 'RUNNING') {
      return toJobView(await runningState(handle, description, stateFromMemo(jobId, memo)));
    }
    const view = toJobView(await finishedState(handle, description, stateFromMemo(jobId, memo)));
    finished.set(jobId, view);
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
    return {
      ...state,
      status: started || attempts > 0 ? 'processing' : 'queued',
      attempts,
      ...(started ? { startedAt: optionalTsToDate(pending.lastStartedTime)?.toISOString() } : {}),
      ...(lastFailure
        ? {
            error: {
              type: lastFailure.applicationFailureInfo?.type ?? FailureType.ClaudeUnknown,
              message: lastFailure.message ?? 'The last attempt failed',
            },
          }
        : {}),
    };
  }

  return { submit, get };
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
