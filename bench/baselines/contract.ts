/**
 * The parts of Agent Fleet's REST contract every peer baseline API shares (DBOS, Restate): the
 * POST /chat body, the job-id check, JSON errors naming the field, and the express shell around
 * a system's own submit and lookup. BullMQ's app predates this module and keeps its own copy.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';

/** Priority names of the contract mapped to levels (1 = highest), as in our API. */
export const PRIORITIES = { high: 1, medium: 2, normal: 3 } as const;

/** The POST /chat body. */
export const chatRequest = z.object({
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

/** What a baseline stores with each job. */
export interface ChatJobInput {
  user_id: string;
  message: string;
  priority: number;
  submitted_at: string;
}

/** A job's result (the model's answer and when the successful attempt ran). */
export interface ChatJobResult {
  text: string;
  usage: { input_tokens: number; output_tokens: number };
  model: string;
  started_at: string;
  finished_at: string;
  /** Attempts of the model call in the process that completed it. */
  attempts: number;
}

/** GET /chat/:id's body (the fields our API answers for a chat job). */
export interface JobView {
  job_id: string;
  user_id?: string;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  response?: string;
  usage?: ChatJobResult['usage'];
  model?: string;
  error?: { type: string; message: string };
  attempts?: number;
  priority?: number;
  submitted_at?: string;
  started_at?: string;
  completed_at?: string;
}

/** What a baseline plugs into {@link createContractApp}. */
export interface ContractBackend {
  /** Starts the durable job; resolves once the system has accepted it. */
  submit(id: string, input: ChatJobInput): Promise<void>;
  /** The job's view, or undefined when the system does not know the id. */
  lookup(id: string): Promise<JobView | undefined>;
  /** Throws when the system cannot take work (GET /readyz answers 503). */
  ready(): Promise<void>;
}

function sendError(
  res: Response,
  status: number,
  error: string,
  message: string,
  details?: unknown,
) {
  res.status(status).json({ error, message, ...(details ? { details } : {}) });
}

const jobId = z.uuid();

/** The express app of a baseline API over `backend`. */
export function createContractApp(system: string, backend: ContractBackend): express.Express {
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
    await backend.submit(id, { user_id, message, priority: level, submitted_at: submittedAt });
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
    const view = await backend.lookup(id.data);
    if (!view) {
      sendError(res, 404, 'not_found', `Job ${id.data} not found`);
      return;
    }
    res.json(view);
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await backend.ready();
      res.json({ status: 'ready' });
    } catch {
      res
        .status(503)
        .set('retry-after', '1')
        .json({ error: `${system}_unavailable`, message: `${system} does not answer` });
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
    // The system behind the API failed: the contract's 503 with Retry-After, no internals.
    res.status(503).set('retry-after', '1');
    sendError(res, 503, 'queue_unavailable', `${system} is unavailable`);
  });
  return app;
}
