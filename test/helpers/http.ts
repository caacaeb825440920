/** Small real-HTTP helpers for tests (Node's fetch; no mocks). */

/** A response with its parsed JSON body. */
export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Sends a request and parses the JSON answer. */
export async function requestJson<T = Record<string, unknown>>(
  url: string,
  init: RequestInit = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new Error(
      `expected JSON from ${init.method ?? 'GET'} ${url}, got ${res.status}: ${text.slice(0, 200)}`,
    );
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

/** POSTs a JSON body. */
export function postJson<T = Record<string, unknown>>(
  url: string,
  body: unknown,
): Promise<JsonResponse<T>> {
  return requestJson<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Polls `GET url` until `done(body)` holds or the timeout passes (then throws with the last body). */
export async function pollUntil<T>(
  url: string,
  done: (body: T) => boolean,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: JsonResponse<T> | undefined;
  while (Date.now() < deadline) {
    last = await requestJson<T>(url);
    if (last.status === 200 && done(last.body)) return last.body;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `timed out polling ${url}; last answer ${last?.status}: ${JSON.stringify(last?.body)}`,
  );
}

/** Job view fields the tests read. */
export interface JobBody {
  job_id: string;
  status: string;
  response?: string;
  error?: { type: string; message: string };
  attempts: number;
  priority: number;
  user_id: string;
  submitted_at: string;
  started_at?: string;
  completed_at?: string;
  usage?: { input_tokens: number; output_tokens: number };
}

/** True once a job has reached a final status. */
export const isFinished = (job: JobBody): boolean =>
  job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';
