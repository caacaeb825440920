/**
 * Minimal Server-Sent Events reader over fetch: yields `{event, data}` per message. Enough for
 * `GET /chat/:id/events`; no reconnection (the caller falls back to polling instead).
 */

/** One SSE message. */
export interface SseMessage {
  event: string;
  data: string;
}

/** Parses an SSE body stream into messages. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      // Comments (`:`) and ids/retry are ignored.
    }
  }
}
