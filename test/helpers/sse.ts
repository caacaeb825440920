/** Reading the API's server-sent events in tests. */

/** Reads an SSE response until `done` (or the stream ends). */
export async function readEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ id: string; event: string; data: Record<string, unknown> }[]> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: { id: string; event: string; data: Record<string, unknown> }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) =>
        frame
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      const event = field('event');
      if (!event) continue;
      events.push({
        id: field('id') ?? '',
        event,
        data: JSON.parse(field('data') ?? '{}') as never,
      });
      if (event === 'done') return events;
    }
  }
  return events;
}
