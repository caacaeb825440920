import express, { Router } from 'express';
import type { AppConfig } from '../../config';
import type { ApiMetrics } from '../../observability/api-metrics';
import { DEFAULT_PRIORITY } from '../../shared';
import { HttpError } from '../http-error';
import type { AdmissionController } from '../admission/admission-controller';
import type { JobService } from '../job-service';
import { requireJson } from '../middleware/require-json';
import { chatHeadersSchema, chatRequestSchema, jobIdParamsSchema } from '../schemas';
import { parseOrThrow } from '../validate';

/** Dependencies of the chat routes. */
export interface ChatRoutesDeps {
  jobs: JobService;
  config: AppConfig;
  /** Refuses work honestly when the fleet or the user is at capacity. */
  admission?: AdmissionController;
  /** Counts accepted jobs by priority when given. */
  metrics?: ApiMetrics;
}

/** `POST /chat` and `GET /chat/:job_id`: the contract of the replaced Redis-queue design. */
export function chatRoutes({ jobs, config, metrics, admission }: ChatRoutesDeps): Router {
  const router = Router();
  const jsonBody = express.json({ limit: config.http.maxBodyBytes, strict: true });

  router.post('/chat', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(chatRequestSchema, req.body);
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
    const priority = body.priority ?? DEFAULT_PRIORITY;
    // Backpressure before anything starts: a refused request starts nothing. The backlog reading
    // is cached, so this adds no Temporal call to most requests.
    await admission?.admit(body.user_id, priority);
    // Starting the workflow is the only work on this path: it must stay fast.
    const { jobId, submittedAt, created } = await jobs.submit({
      userId: body.user_id,
      message: body.message,
      priority,
      deadlineMs: body.timeout_s === undefined ? undefined : Math.ceil(body.timeout_s * 1000),
      idempotencyKey: headers['idempotency-key'],
    });
    if (created) admission?.accepted(body.user_id);
    // Only new jobs count: an idempotent retry starts nothing.
    if (created)
      metrics?.jobsSubmitted.inc({ priority: String(body.priority ?? DEFAULT_PRIORITY) });
    // An idempotent retry answers 200 with the original job's current status.
    const status = created ? 'queued' : ((await jobs.get(jobId))?.status ?? 'queued');
    res
      .status(created ? 202 : 200)
      .location(`/chat/${jobId}`)
      .json({ job_id: jobId, status, submitted_at: submittedAt });
  });

  router.delete('/chat/:job_id', async (req, res) => {
    const { job_id: jobId } = parseOrThrow(jobIdParamsSchema, req.params);
    const result = await jobs.cancel(jobId);
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
    const view = await jobs.get(jobId);
    if (!view) throw HttpError.notFound(`Job ${jobId}`);
    res.json(view);
  });

  return router;
}
