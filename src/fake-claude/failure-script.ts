/**
 * Failure scripts: `429,529:3,reset,ok` — one step per successive attempt of a conversation.
 * After the last step every attempt succeeds.
 */

/** One scripted reaction to an attempt. */
export type FailureStep =
  | { kind: 'ok' }
  /** An HTTP error response; `retryAfterS` becomes a `retry-after` header. */
  | { kind: 'status'; status: number; retryAfterS?: number; spend?: boolean }
  /** Destroy the connection (streaming: after a few deltas). */
  | { kind: 'reset' }
  /** Streaming: a few deltas then an SSE `error` event (non-streaming: a 529). */
  | { kind: 'stream_error' }
  /** Never answer; the socket stays open until the client or the server gives up. */
  | { kind: 'hang' };

/**
 * HTTP statuses a script may ask for. Kept explicit so a typo (`4029`) is rejected instead of
 * producing a status the SDK maps to a generic error.
 */
export const SCRIPTABLE_STATUSES: ReadonlySet<number> = new Set([
  400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529,
]);

const STEP_PATTERN = /^([a-z_]+|\d{3})(?::(\d+(?:\.\d+)?))?$/;

/**
 * Parse a failure script.
 *
 * @param script - comma-separated steps, e.g. `429,429:5,spend,529:2,500,reset,stream_error,hang,ok`.
 * @returns one step per attempt; empty for an empty script.
 * @throws Error naming the first invalid step.
 */
export function parseFailureScript(script: string): FailureStep[] {
  const trimmed = script.trim();
  if (trimmed === '') return [];
  return trimmed.split(',').map((raw) => parseStep(raw.trim().toLowerCase(), raw));
}

function parseStep(step: string, raw: string): FailureStep {
  const match = STEP_PATTERN.exec(step);
  if (!match) throw new Error(`invalid failure step ${JSON.stringify(raw.trim())}`);
  const name = match[1] ?? '';
  const arg = match[2];
  const retryAfterS = arg === undefined ? undefined : Number(arg);
  const noArg = (): void => {
    if (arg !== undefined) {
      throw new Error(`failure step ${JSON.stringify(name)} takes no ":N" argument`);
    }
  };
  switch (name) {
    case 'ok':
      noArg();
      return { kind: 'ok' };
    case 'reset':
      noArg();
      return { kind: 'reset' };
    case 'stream_error':
      noArg();
      return { kind: 'stream_error' };
    case 'hang':
      noArg();
      return { kind: 'hang' };
    case 'spend':
      // The real API reports workspace usage limits as a 429 without a useful retry-after.
      return {
        kind: 'status',
        status: 429,
        spend: true,
        ...(arg === undefined ? {} : { retryAfterS }),
      };
    default: {
      const status = Number(name);
      if (!/^\d{3}$/.test(name) || !SCRIPTABLE_STATUSES.has(status)) {
        throw new Error(
          `unknown failure step ${JSON.stringify(raw.trim())} (expected ok, reset, stream_error, hang, spend or one of ${[...SCRIPTABLE_STATUSES].join(' ')})`,
        );
      }
      // A bare 429 carries `retry-after: 1` like the real API; other statuses only when asked.
      const retry = retryAfterS ?? (status === 429 ? 1 : undefined);
      return { kind: 'status', status, ...(retry === undefined ? {} : { retryAfterS: retry }) };
    }
  }
}
