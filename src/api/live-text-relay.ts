/**
 * Reads one model call's live text from the activity worker that is generating it (the worker's
 * stream server, see src/streaming/stream-server.ts): a plain HTTP server-sent-event stream,
 * each read signed with STREAM_SECRET when one is configured.
 */
import { readSse } from '../streaming/sse-reader';
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
    for await (const message of readSse(res.body)) {
      if (message.event === 'end') return;
      const parsed = JSON.parse(message.data) as { offset: number; text: string };
      onText(parsed.offset, parsed.text);
    }
  })().catch(() => undefined);
  return { done, stop: () => controller.abort() };
}
