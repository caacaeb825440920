import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../../config';
import { lastEventIdSchema } from '../agent-schemas';
import { callerOf, mayAccess } from '../caller';
import { HttpError } from '../http-error';
import { parseEventId, streamJobEvents } from '../job-events';
import { jobIdParamsSchema, type JobView } from '../schemas';
import { parseOrThrow } from '../validate';

/** Dependencies of the event-stream route. */
export interface EventsRoutesDeps {
  client: Client;
  config: AppConfig;
  findJob(jobId: string): Promise<JobView | undefined>;
}

/** `GET /chat/:job_id/events`: server-sent events of a job (see job-events.ts). */
export function eventsRoutes(deps: EventsRoutesDeps): Router {
  const router = Router();
  router.get('/chat/:job_id/events', async (req, res) => {
    const { job_id: jobId } = parseOrThrow(jobIdParamsSchema, req.params);
    const header = req.get('last-event-id');
    const fromQuery =
      typeof req.query.last_event_id === 'string' ? req.query.last_event_id : undefined;
    const field = header !== undefined ? 'Last-Event-ID' : 'last_event_id';
    const parsed = lastEventIdSchema.safeParse(header ?? fromQuery);
    if (!parsed.success) {
      throw HttpError.validation([
        { field, message: 'must be an event id received from this stream' },
      ]);
    }
    // Object-level authorization before any byte is streamed: others' jobs are "not found".
    const owned = await deps.findJob(jobId);
    if (!owned || !mayAccess(callerOf(res), owned.user_id))
      throw HttpError.notFound(`Job ${jobId}`);
    const found = await streamJobEvents(deps, jobId, parseEventId(parsed.data), res);
    if (!found) throw HttpError.notFound(`Job ${jobId}`);
  });
  return router;
}
