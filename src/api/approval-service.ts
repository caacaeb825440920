import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import {
  APPROVAL_NOT_PENDING,
  SEARCH_ATTRIBUTES,
  decideApprovalUpdate,
  getJobStatusQuery,
  type AgentJobState,
  type ApprovalDecision,
} from '../shared';
import { toPendingApprovalView } from './approval-view';
import { HttpError } from './http-error';
import { toJobView } from './job-view';
import { callWithin, capDeadline, settleWithin, type Deadline } from './request-deadline';
import type { JobView } from './schemas';

/** A job waiting for decisions, as `GET /approvals` lists it. */
export interface AwaitingJob {
  job_id: string;
  user_id: string;
  conversation_id?: string;
  pending_approvals: NonNullable<JobView['pending_approvals']>;
}

/** The Temporal side of human approval of tool calls. */
export interface ApprovalService {
  /** Sends one decision (a Temporal Update); 409 when the call is not waiting. */
  decide(jobId: string, decision: ApprovalDecision, deadline: Deadline): Promise<JobView>;
  /** Jobs of `userId` (all users when undefined) that wait for a decision. */
  list(userId: string | undefined, deadline: Deadline): Promise<AwaitingJob[]>;
  /** Jobs of this fleet waiting for a decision (null until first counted), refreshed behind. */
  awaitingCount(deadline: Deadline): Promise<number | null>;
}

/** Dependencies of {@link createApprovalService}. */
export interface ApprovalServiceDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
}

/** Jobs `GET /approvals` lists at most (a console pages through decisions, not thousands). */
const MAX_LISTED_JOBS = 100;
/** Status queries of the listed jobs in flight at once. */
const LIST_QUERY_CONCURRENCY = 8;

function notWaiting(message: string): HttpError {
  return new HttpError(409, 'approval_not_pending', message);
}

/**
 * Creates the approval service. Deciding is one Temporal Update whose validator (in the
 * workflow) refuses a call that is not waiting: a refusal writes nothing to the job's history.
 * Listing and counting read visibility through the search attribute AgentFleetAwaitingApproval
 * (set only while a job waits), restricted to this fleet's workflow task queue; the count for
 * `GET /queues` is cached and refreshed in the background, like admission's readings.
 */
export function createApprovalService(deps: ApprovalServiceDeps): ApprovalService {
  const { client, config } = deps;
  const baseQuery =
    `${SEARCH_ATTRIBUTES.awaitingApproval.name} = true AND ExecutionStatus = 'Running'` +
    ` AND TaskQueue = '${config.taskQueues.workflows}'`;
  let counted: { at: number; count: number } | undefined;
  let counting: Promise<void> | undefined;

  async function decide(
    jobId: string,
    decision: ApprovalDecision,
    deadline: Deadline,
  ): Promise<JobView> {
    try {
      const state = await callWithin(client, deadline, () =>
        client.workflow.getHandle(jobId).executeUpdate(decideApprovalUpdate, { args: [decision] }),
      );
      return toJobView(state, config.observability.prices);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        throw notWaiting(
          cause instanceof ApplicationFailure && cause.type === APPROVAL_NOT_PENDING
            ? cause.message
            : `Tool call ${decision.toolUseId} is not waiting for a decision`,
        );
      }
      // The job closed between the caller's read and the update.
      if (err instanceof WorkflowNotFoundError) throw notWaiting(`Job ${jobId} has finished`);
      throw err;
    }
  }

  async function list(userId: string | undefined, deadline: Deadline): Promise<AwaitingJob[]> {
    // user ids are validated to [A-Za-z0-9._@:+-]: safe inside the quoted literal.
    const query = userId
      ? `${baseQuery} AND ${SEARCH_ATTRIBUTES.userId.name} = '${userId}'`
      : baseQuery;
    const found = await callWithin(client, deadline, async () => {
      const executions: { jobId: string; memo?: Record<string, unknown> }[] = [];
      for await (const execution of client.workflow.list({ query, pageSize: MAX_LISTED_JOBS })) {
        executions.push({ jobId: execution.workflowId, memo: execution.memo });
        if (executions.length >= MAX_LISTED_JOBS) break;
      }
      return executions;
    });
    const jobs: (AwaitingJob | undefined)[] = [];
    for (let i = 0; i < found.length; i += LIST_QUERY_CONCURRENCY) {
      const batch = found.slice(i, i + LIST_QUERY_CONCURRENCY);
      jobs.push(...(await Promise.all(batch.map((job) => pendingOf(job.jobId, deadline)))));
    }
    // Visibility lags the workflow a little: a job decided meanwhile has nothing pending.
    return jobs.filter((job): job is AwaitingJob => job !== undefined);
  }

  /** The waiting calls of one job, from its status query (only jobs known to wait are asked). */
  async function pendingOf(jobId: string, deadline: Deadline): Promise<AwaitingJob | undefined> {
    try {
      const state = (await callWithin(
        client,
        capDeadline(deadline, config.http.statusQueryTimeoutMs),
        () => client.workflow.getHandle(jobId).query(getJobStatusQuery),
      )) as AgentJobState;
      if (!state.pendingApprovals?.length) return undefined;
      return {
        job_id: state.jobId,
        user_id: state.userId,
        ...(state.conversationId !== undefined ? { conversation_id: state.conversationId } : {}),
        pending_approvals: state.pendingApprovals.map(toPendingApprovalView),
      };
    } catch (err) {
      deps.logger.debug(
        { job_id: jobId, err: (err as Error).message },
        'approvals: status query unavailable',
      );
      return undefined;
    }
  }

  async function refreshCount(): Promise<void> {
    try {
      const { count } = await client.withDeadline(
        Date.now() + config.http.temporalRpcTimeoutMs,
        () => client.workflow.count(baseQuery),
      );
      counted = { at: Date.now(), count };
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'approvals: could not count waiting jobs');
    }
  }

  async function awaitingCount(deadline: Deadline): Promise<number | null> {
    if (!counted || Date.now() - counted.at >= config.scheduling.admissionCacheMs) {
      counting ??= refreshCount().finally(() => {
        counting = undefined;
      });
    }
    // The first reading is waited for (within the deadline); later ones refresh behind.
    if (!counted && counting) await settleWithin(deadline, counting).catch(() => undefined);
    return counted?.count ?? null;
  }

  return { decide, list, awaitingCount };
}
