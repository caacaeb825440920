/** Reading the API's server-sent events in tests. */
import { readSse } from '../../src/streaming/sse-reader';

/** One event of `GET /chat/:job_id/events`. */
export interface JobEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE response until `done` (or the stream ends). */
export async function readEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<JobEvent[]> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: JobEvent[] = [];
  for await (const message of readSse(res.body!)) {
    events.push({
      id: message.id ?? '',
      event: message.event,
      data: JSON.parse(message.data) as Record<string, unknown>,
    });
    if (message.event === 'done') return events;
  }
  return events;
}
