import express, { Router } from 'express';
import type { AppConfig } from '../../config';
import { approvalDecisionSchema, approvalsQuerySchema } from '../approval-schemas';
import type { ApprovalService } from '../approval-service';
import { actingUser, callerOf, mayAccess } from '../caller';
import { HttpError } from '../http-error';
import { requireJson } from '../middleware/require-json';
import { deadlineIn, type Deadline } from '../request-deadline';
import { jobIdParamsSchema, type JobView } from '../schemas';
import { parseOrThrow } from '../validate';
import { isFinalStatus } from '../wait-for-job';

/** Dependencies of the approval routes. */
export interface ApprovalRoutesDeps {
  approvals: ApprovalService;
  config: AppConfig;
  /** Any job by id (the same lookup as `GET /chat/:job_id`). */
  findJob: (jobId: string, deadline: Deadline) => Promise<JobView | undefined>;
}

/**
 * `POST /chat/:job_id/approvals` (decide one waiting tool call; the job's owner or an admin,
 * others get 404 as for `GET /chat/:job_id`) and `GET /approvals` (the caller's jobs waiting for
 * a decision; an admin's, or open mode's, of every user unless `?user_id=` names one).
 */
export function approvalRoutes({ approvals, config, findJob }: ApprovalRoutesDeps): Router {
  const router = Router();
  const jsonBody = express.json({ limit: config.http.maxBodyBytes, strict: true });
  const requestDeadline = () => deadlineIn(config.http.temporalRpcTimeoutMs);

  router.post('/chat/:job_id/approvals', requireJson, jsonBody, async (req, res) => {
    const deadline = requestDeadline();
    const { job_id: jobId } = parseOrThrow(jobIdParamsSchema, req.params);
    const body = parseOrThrow(approvalDecisionSchema, req.body);
    const caller = callerOf(res);
    // Someone else's job answers exactly like a missing one: ids are not the authorization.
    const job = await findJob(jobId, deadline);
    if (!job || !mayAccess(caller, job.user_id)) throw HttpError.notFound(`Job ${jobId}`);
    if (isFinalStatus(job.status)) {
      throw new HttpError(409, 'approval_not_pending', `Job ${jobId} already ${job.status}`);
    }
    // A plain chat job (no update handler) or a call not waiting: the workflow refuses, 409.
    const view = await approvals.decide(
      jobId,
      {
        toolUseId: body.tool_use_id,
        decision: body.decision,
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
        ...(caller.mode === 'key' ? { decidedBy: caller.userId } : {}),
      },
      deadline,
    );
    res.json(view);
  });

  router.get('/approvals', async (req, res) => {
    const { user_id: named } = parseOrThrow(approvalsQuerySchema, { user_id: req.query.user_id });
    const caller = callerOf(res);
    // A user sees their own; an admin (or open mode) everyone's unless a user is named.
    const userId =
      caller.mode === 'key' && caller.role !== 'admin' ? actingUser(caller, named) : named;
    res.json({ jobs: await approvals.list(userId, requestDeadline()) });
  });

  return router;
}
