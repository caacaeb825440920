/**
 * Reads one model call's live text from the activity worker that is generating it (the worker's
 * stream server, see src/streaming/stream-server.ts): a plain HTTP server-sent-event stream,
 * each read signed with STREAM_SECRET when one is configured.
 */
import { streamAuthorization } from '../streaming/stream-auth';

/** A running relay; `done` settles when the stream ends, fails or is stopped. */
export interface LiveTextRelay {
  done: Promise<void>;
  stop(): void;
}

/**
 * Connects to `url` (from character `from`) and calls `onText(offset, text)` per delta, signing
 * the read with `secret` if given. Errors (a 401 included) end the relay quietly: the caller
 * falls back to the workflow's durable state.
 */
export function relayLiveText(
  url: string,
  from: number,
  onText: (offset: number, text: string) => void,
  secret?: string,
): LiveTextRelay {
  const controller = new AbortController();
  const done = (async () => {
    const headers: Record<string, string> =
      secret === undefined
        ? {}
        : { authorization: streamAuthorization(secret, new URL(url).pathname) };
    const res = await fetch(`${url}?from=${from}`, { signal: controller.signal, headers });
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame.startsWith('event: end')) return;
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (!data) continue;
        const parsed = JSON.parse(data.slice(6)) as { offset: number; text: string };
        onText(parsed.offset, parsed.text);
      }
    }
  })().catch(() => undefined);
  return { done, stop: () => controller.abort() };
}
