import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { callWithin, deadlineIn } from '../request-deadline';

/** How long readiness waits for Temporal before calling it unreachable. */
const READINESS_TIMEOUT_MS = 2_000;

/** `GET /healthz` (the process is alive) and `GET /readyz` (Temporal answers). */
export function healthRoutes(client: Client): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      // Answered by the deadline even while the client's retries back off (request-deadline.ts).
      await callWithin(client, deadlineIn(READINESS_TIMEOUT_MS), () =>
        client.workflowService.getSystemInfo({}),
      );
      res.json({ status: 'ready', temporal: 'ok' });
    } catch {
      res.status(503).set('Retry-After', '2').json({
        error: 'unavailable',
        message: 'The workflow service is unreachable',
        status: 'not_ready',
        temporal: 'unreachable',
      });
    }
  });
  return router;
}
