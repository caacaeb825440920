import { Router } from 'express';
import type { Client } from '@temporalio/client';

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
      await client.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () =>
        client.workflowService.getSystemInfo({}),
      );
      res.json({ status: 'ready', temporal: 'ok' });
    } catch {
      res
        .status(503)
        .set('Retry-After', '2')
        .json({ status: 'not_ready', temporal: 'unreachable' });
    }
  });
  return router;
}
