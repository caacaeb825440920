import express, { Router } from 'express';
import type { AppConfig } from '../../config';
import { DEFAULT_PRIORITY } from '../../shared';
import { HttpError } from '../http-error';
import type { JobService } from '../job-service';
import { requireJson } from '../middleware/require-json';
import { chatRequestSchema, jobIdParamsSchema } from '../schemas';
import { parseOrThrow } from '../validate';

/** Dependencies of the chat routes. */
export interface ChatRoutesDeps {
  jobs: JobService;
  config: AppConfig;
}

/** `POST /chat` and `GET /chat/:job_id`: the contract of the replaced Redis-queue design. */
export function chatRoutes({ jobs, config }: ChatRoutesDeps): Router {
  const router = Router();
  const jsonBody = express.json({ limit: config.http.maxBodyBytes, strict: true });

  router.post('/chat', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(chatRequestSchema, req.body);
    if (body.message.length > config.http.maxMessageChars) {
      throw new HttpError(413, 'payload_too_large', 'The message is too long', [
        { field: 'message', message: `must be at most ${config.http.maxMessageChars} characters` },
      ]);
    }
    // Starting the workflow is the only work on this path: it must stay fast.
    const { jobId, submittedAt } = await jobs.submit({
      userId: body.user_id,
      message: body.message,
      priority: body.priority ?? DEFAULT_PRIORITY,
    });
    res
      .status(202)
      .location(`/chat/${jobId}`)
      .json({ job_id: jobId, status: 'queued', submitted_at: submittedAt });
  });

  router.get('/chat/:job_id', async (req, res) => {
    const { job_id: jobId } = parseOrThrow(jobIdParamsSchema, req.params);
    const view = await jobs.get(jobId);
    if (!view) throw HttpError.notFound(`Job ${jobId}`);
    res.json(view);
  });

  return router;
}
