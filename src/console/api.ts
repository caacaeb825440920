/**
 * The console's only way to the server: the public REST API with the caller's API key (kept in
 * sessionStorage, never in the URL), and the job event stream read with fetch — EventSource
 * cannot send an Authorization header, so the stream is parsed from a ReadableStream instead.
 */

const KEY_STORAGE = 'agent-fleet.api-key';
const USER_STORAGE = 'agent-fleet.user-id';

/** One invalid field of an error answer. */
export interface FieldError {
  field: string;
  message: string;
}

/** An error answer of the API (`{error, message, details?}`), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }
}

/** The stored API key, if any. */
export function apiKey(): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

/** Stores (or with undefined forgets) the API key for this tab's session. */
export function setApiKey(key: string | undefined): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** The user the console acts for: required in open mode, remembered from job views with a key. */
export function userId(): string | undefined {
  return sessionStorage.getItem(USER_STORAGE) ?? undefined;
}

/** Remembers the user id. */
export function setUserId(id: string | undefined): void {
  if (id) sessionStorage.setItem(USER_STORAGE, id);
  else sessionStorage.removeItem(USER_STORAGE);
}

/** Listeners told when the API refuses the key (401), so the page can ask for one. */
const unauthorizedListeners: (() => void)[] = [];

/** Calls `listener` on every 401 answer. */
export function onUnauthorized(listener: () => void): void {
  unauthorizedListeners.push(listener);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return {
    accept: 'application/json',
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...extra,
  };
}

async function toError(res: Response): Promise<ApiError> {
  let body: { error?: string; message?: string; details?: FieldError[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status line is all we have.
  }
  if (res.status === 401) for (const listener of unauthorizedListeners) listener();
  return new ApiError(
    res.status,
    body.error ?? `http_${res.status}`,
    body.message ?? `${res.status} ${res.statusText}`,
    body.details ?? [],
  );
}

/** Calls the API and returns its JSON answer; throws {@link ApiError} for any error answer. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network_error', `The API cannot be reached (${(err as Error).message})`);
  }
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}

/** One server-sent event. */
export interface StreamEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * Reads `/chat/:id/events` until `done`, the signal aborts, or the stream ends. Resumes from
 * `lastEventId` (the API's ids are positions in the job's text, so any replica can resume).
 *
 * @returns the last event id seen, for a reconnect.
 */
export async function readEvents(
  jobId: string,
  lastEventId: string | undefined,
  onEvent: (event: StreamEvent) => void,
  signal: AbortSignal,
): Promise<string | undefined> {
  const query = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : '';
  const res = await fetch(`/chat/${encodeURIComponent(jobId)}/events${query}`, {
    headers: headers({ accept: 'text/event-stream' }),
    signal,
    cache: 'no-store',
  });
  if (!res.ok || !res.body) throw await toError(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = lastEventId;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: StreamEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event.event = text;
        else if (name === 'id') event.id = text;
        else if (name === 'data') data.push(text);
      }
      if (data.length === 0) continue;
      event.data = data.join('\n');
      if (event.id) last = event.id;
      onEvent(event);
      if (event.event === 'done') {
        await reader.cancel();
        return last;
      }
    }
  }
}
