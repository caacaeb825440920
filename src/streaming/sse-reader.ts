/**
 * Minimal Server-Sent Events reader over fetch: yields `{event, data, id}` per message. Enough for
 * `GET /chat/:id/events` (the chat CLI, tests) and a worker's live-text stream (the API's relay);
 * no reconnection (callers fall back to durable state instead).
 */

/** One SSE message. */
export interface SseMessage {
  event: string;
  data: string;
  /** The message's `id:` field, if it had one. */
  id?: string;
}

/** Parses an SSE body stream into messages. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n'), ...(id ? { id } : {}) };
        event = 'message';
        data = [];
        id = undefined;
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      // Comments (`:`) and retry are ignored.
    }
  }
}
