import express, { Router } from 'express';
import type { AppConfig } from '../../config';
import type { ApiMetrics } from '../../observability/api-metrics';
import { DEFAULT_PRIORITY } from '../../shared';
import { actingUser, callerOf, mayAccess } from '../caller';
import { HttpError } from '../http-error';
import { chatQuerySchema } from '../agent-schemas';
import type { JobService } from '../job-service';
import type { JobKind, JobSubmitter, Submission } from '../job-submission';
import { deadlineIn, type Deadline } from '../request-deadline';
import { isFinalStatus, waitForJob } from '../wait-for-job';
import { requireJson } from '../middleware/require-json';
import { chatHeadersSchema, chatRequestSchema, jobIdParamsSchema, type JobView } from '../schemas';
import { parseOrThrow } from '../validate';
import { webhookUrlProblem } from '../../webhooks/url-guard';

/** Dependencies of the chat routes. */
export interface ChatRoutesDeps {
  jobs: JobService;
  /** The one submission path of every job kind. */
  submitter: JobSubmitter;
  config: AppConfig;
  /** Any job by id: a workflow of its own, or a conversation turn still queued. */
  findJob: (jobId: string, deadline: Deadline) => Promise<JobView | undefined>;
  /** Counts accepted jobs by priority when given. */
  metrics?: ApiMetrics;
  /** Conversations and tool-using jobs are enabled (otherwise those requests get 501). */
  agentFeatures: boolean;
  /** The registry's tool names, which `require_approval` may name. */
  toolNames?: string[];
}

/** `POST /chat` and `GET /chat/:job_id`: the contract of the replaced Redis-queue design. */
export function chatRoutes({
  jobs,
  submitter,
  config,
  findJob,
  metrics,
  agentFeatures,
  toolNames = [],
}: ChatRoutesDeps): Router {
  const router = Router();
  const jsonBody = express.json({ limit: config.http.maxBodyBytes, strict: true });
  /** One deadline per request, shared by all its Temporal calls. */
  const requestDeadline = () => deadlineIn(config.http.temporalRpcTimeoutMs);

  router.post('/chat', requireJson, jsonBody, async (req, res) => {
    const deadline = requestDeadline();
    const body = parseOrThrow(chatRequestSchema, req.body);
    // With API keys the user is the key's; in open mode it is the body's user_id.
    const userId = actingUser(callerOf(res), body.user_id);
    const query = parseOrThrow(chatQuerySchema, { wait: req.query.wait });
    const headers = parseOrThrow(chatHeadersSchema, {
      'idempotency-key': req.get('idempotency-key'),
    });
    if (body.message.length > config.http.maxMessageChars) {
      throw new HttpError(413, 'payload_too_large', 'The message is too long', [
        { field: 'message', message: `must be at most ${config.http.maxMessageChars} characters` },
      ]);
    }
    const maxTimeoutS = config.claude.policy.deadlineMs / 1000;
    if (body.timeout_s !== undefined && body.timeout_s > maxTimeoutS) {
      throw HttpError.validation([
        { field: 'timeout_s', message: `must be at most ${maxTimeoutS}` },
      ]);
    }
    // Clients may only choose among operator-approved models and budgets (OWASP API4).
    if (body.model !== undefined && !config.auth.allowedModels.includes(body.model)) {
      throw HttpError.validation([
        { field: 'model', message: `must be one of: ${config.auth.allowedModels.join(', ')}` },
      ]);
    }
    if (body.max_tokens !== undefined && body.max_tokens > config.claude.model.maxTokens) {
      throw HttpError.validation([
        { field: 'max_tokens', message: `must be at most ${config.claude.model.maxTokens}` },
      ]);
    }
    // SSRF guard: only URLs under the operator's prefixes (checked again when delivering).
    const callbackProblem =
      body.callback_url !== undefined
        ? webhookUrlProblem(body.callback_url, config.webhooks.allowedUrlPrefixes)
        : undefined;
    if (callbackProblem) {
      throw HttpError.validation([{ field: 'callback_url', message: callbackProblem }]);
    }
    if (body.on_busy !== undefined && body.conversation_id === undefined) {
      throw HttpError.validation([{ field: 'on_busy', message: 'requires conversation_id' }]);
    }
    // Conversations and tool use run as agent workflows; a plain message stays the single-call
    // chat job of the original contract.
    const kind: JobKind =
      body.conversation_id !== undefined ? 'turn' : body.tools === true ? 'agent' : 'chat';
    if (kind !== 'chat' && !agentFeatures) {
      throw new HttpError(501, 'not_implemented', 'Agent features are not enabled here');
    }
    checkRequireApproval(body.require_approval, kind, toolNames);
    const priority = body.priority ?? DEFAULT_PRIORITY;
    const submission: Submission = {
      kind,
      userId,
      message: body.message,
      priority,
      deadlineMs: body.timeout_s === undefined ? undefined : Math.ceil(body.timeout_s * 1000),
      idempotencyKey: headers['idempotency-key'],
      model: {
        ...config.claude.model,
        ...(body.model !== undefined ? { model: body.model } : {}),
        ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
      },
      requested: {
        ...(body.model !== undefined ? { model: body.model } : {}),
        ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
      },
      ...(body.max_cost_usd !== undefined ? { maxCostUsd: body.max_cost_usd } : {}),
      ...(kind === 'turn'
        ? {
            conversation: {
              id: body.conversation_id!,
              tools: body.tools ?? true,
              ...(body.on_busy !== undefined ? { onBusy: body.on_busy } : {}),
            },
          }
        : {}),
      ...(body.require_approval !== undefined ? { requireApproval: body.require_approval } : {}),
      ...(body.callback_url !== undefined ? { callbackUrl: body.callback_url } : {}),
    };
    // Admission, idempotency and the start: a refused request starts nothing.
    const { jobId, submittedAt, created } = await submitter.submit(submission, deadline);
    // Only new jobs count: an idempotent retry starts nothing.
    if (created) metrics?.jobsSubmitted.inc({ priority: String(priority) });
    // `?wait=`: answer 200 with the finished job if it finishes in time (capped by config).
    if (query.wait !== undefined && query.wait > 0) {
      const waitMs = Math.min(query.wait, config.agent.maxWaitMs);
      const view = await waitForJob(
        (id) => findJob(id, requestDeadline()).catch(() => undefined),
        jobId,
        waitMs,
      );
      if (view && isFinalStatus(view.status)) {
        res.status(200).location(`/chat/${jobId}`).json(view);
        return;
      }
    }
    // An idempotent retry answers 200 with the original job's current status.
    const status = created
      ? 'queued'
      : ((await findJob(jobId, deadline).catch(() => undefined))?.status ?? 'queued');
    res
      .status(created ? 202 : 200)
      .location(`/chat/${jobId}`)
      .json({ job_id: jobId, status, submitted_at: submittedAt });
  });

  router.delete('/chat/:job_id', async (req, res) => {
    const deadline = requestDeadline();
    const { job_id: jobId } = parseOrThrow(jobIdParamsSchema, req.params);
    // Someone else's job answers exactly like a missing one: ids are not the authorization.
    const owned = await findJob(jobId, deadline);
    if (!owned || !mayAccess(callerOf(res), owned.user_id))
      throw HttpError.notFound(`Job ${jobId}`);
    const result = await jobs.cancel(jobId, deadline);
    switch (result.outcome) {
      case 'not_found':
        throw HttpError.notFound(`Job ${jobId}`);
      case 'already_finished':
        throw new HttpError(409, 'job_finished', `Job ${jobId} already ${result.view.status}`);
      case 'cancelled':
        res.json(result.view);
        return;
      case 'cancelling':
        res.status(202).json(result.view);
        return;
    }
  });

  router.get('/chat/:job_id', async (req, res) => {
    const { job_id: jobId } = parseOrThrow(jobIdParamsSchema, req.params);
    const view = await findJob(jobId, requestDeadline());
    if (!view || !mayAccess(callerOf(res), view.user_id)) throw HttpError.notFound(`Job ${jobId}`);
    res.json(view);
  });

  return router;
}

/** `require_approval` names registry tools, and only jobs that may call tools carry it. */
function checkRequireApproval(
  requested: boolean | string[] | undefined,
  kind: JobKind,
  toolNames: string[],
): void {
  if (requested === undefined) return;
  if (kind === 'chat') {
    throw HttpError.validation([
      { field: 'require_approval', message: 'needs tools: true or a conversation_id' },
    ]);
  }
  if (!Array.isArray(requested)) return;
  const unknown = requested.findIndex((name) => !toolNames.includes(name));
  if (unknown >= 0) {
    throw HttpError.validation([
      {
        field: `require_approval.${unknown}`,
        message: `unknown tool; one of: ${toolNames.join(', ')}`,
      },
    ]);
  }
}
