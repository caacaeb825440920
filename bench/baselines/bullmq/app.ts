/**
 * The REST contract of Agent Fleet (POST /chat → 202 {job_id, status, submitted_at}, GET
 * /chat/:id) on a BullMQ queue: what a Node user would build instead of Temporal.
 */
import { randomUUID } from 'node:crypto';
import { Job, type Queue } from 'bullmq';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { BullmqSettings } from './config';
import { RETRY_AFTER_BACKOFF, type ChatJobData, type ChatJobResult } from './processor';

const PRIORITIES = { high: 1, medium: 2, normal: 3 } as const;

const chatRequest = z.object({
  user_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only'),
  message: z.string().refine((text) => text.trim().length > 0, 'must not be empty'),
  priority: z
    .union([z.literal(1), z.literal(2), z.literal(3), z.enum(['high', 'medium', 'normal'])])
    .optional(),
});

const jobId = z.uuid();

function sendError(
  res: Response,
  status: number,
  error: string,
  message: string,
  details?: unknown,
) {
  res.status(status).json({ error, message, ...(details ? { details } : {}) });
}

/** Maps BullMQ states onto the contract's statuses. */
function statusOf(state: string): string {
  switch (state) {
    case 'active':
      return 'processing';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    default:
      // waiting, prioritized, delayed (a retry's backoff), waiting-children
      return 'queued';
  }
}

/** The express app of the baseline API. */
export function createBullmqApp(
  queue: Queue<ChatJobData, ChatJobResult>,
  settings: BullmqSettings,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));

  app.post('/chat', async (req: Request, res: Response) => {
    const parsed = chatRequest.safeParse(req.body);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({
        field: i.path.join('.') || 'body',
        message: i.message,
      }));
      sendError(res, 400, 'validation_error', 'Invalid request', details);
      return;
    }
    const { user_id, message, priority } = parsed.data;
    const level = typeof priority === 'number' ? priority : PRIORITIES[priority ?? 'normal'];
    const id = randomUUID();
    const submittedAt = new Date().toISOString();
    await queue.add(
      'chat',
      { user_id, message, priority: level, submitted_at: submittedAt },
      {
        jobId: id,
        priority: level,
        attempts: settings.BULLMQ_ATTEMPTS,
        backoff: { type: RETRY_AFTER_BACKOFF, delay: settings.BULLMQ_BACKOFF_MS },
      },
    );
    res
      .status(202)
      .location(`/chat/${id}`)
      .json({ job_id: id, status: 'queued', submitted_at: submittedAt });
  });

  app.get('/chat/:job_id', async (req: Request, res: Response) => {
    const id = jobId.safeParse(req.params.job_id);
    if (!id.success) {
      sendError(res, 400, 'validation_error', 'Invalid job id', [
        { field: 'job_id', message: 'must be a job id returned by POST /chat' },
      ]);
      return;
    }
    // State first, then the job hash: read the other way round, a job finishing in between
    // would show as completed without its result.
    const state = await queue.getJobState(id.data);
    const job = await Job.fromId<ChatJobData, ChatJobResult>(queue, id.data);
    if (!job) {
      sendError(res, 404, 'not_found', `Job ${id.data} not found`);
      return;
    }
    const status = statusOf(state);
    const result = job.returnvalue as ChatJobResult | null | undefined;
    res.json({
      job_id: id.data,
      user_id: job.data.user_id,
      status,
      ...(result ? { response: result.text, usage: result.usage, model: result.model } : {}),
      ...(job.failedReason && status !== 'completed'
        ? {
            error: { type: status === 'failed' ? 'failed' : 'retrying', message: job.failedReason },
          }
        : {}),
      attempts: job.attemptsStarted ?? job.attemptsMade,
      priority: job.data.priority,
      submitted_at: job.data.submitted_at,
      ...(result?.started_at
        ? { started_at: result.started_at }
        : job.processedOn
          ? { started_at: new Date(job.processedOn).toISOString() }
          : {}),
      ...(result?.finished_at
        ? { completed_at: result.finished_at }
        : job.finishedOn
          ? { completed_at: new Date(job.finishedOn).toISOString() }
          : {}),
    });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      // A cheap round trip through the queue's own connection.
      await queue.count();
      res.json({ status: 'ready' });
    } catch {
      res
        .status(503)
        .set('retry-after', '1')
        .json({ error: 'redis_unavailable', message: 'Redis does not answer' });
    }
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 413) {
      sendError(
        res,
        status,
        status === 400 ? 'invalid_json' : 'payload_too_large',
        (err as Error).message,
      );
      return;
    }
    // Redis down: the contract's 503 with Retry-After.
    sendError(res, 503, 'queue_unavailable', 'The queue is unavailable');
  });
  return app;
}
