/** Longest server-requested wait we honour; beyond it we fall back to our own backoff cap. */
const MAX_HONOURED_RETRY_AFTER_MS = 10 * 60 * 1000;

/** Minimal header reader satisfied by the Fetch `Headers` the Anthropic SDK exposes. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * The delay the API asked for, in milliseconds: `retry-after-ms` first (Anthropic's precise form),
 * then `retry-after` as seconds or an HTTP date. Undefined when absent or unparseable.
 */
export function parseRetryAfterMs(
  headers: HeaderReader | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const precise = headers.get('retry-after-ms');
  if (precise !== null) {
    const ms = Number(precise);
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_HONOURED_RETRY_AFTER_MS);
  }
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return Math.min(seconds * 1000, MAX_HONOURED_RETRY_AFTER_MS);
  }
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - now), MAX_HONOURED_RETRY_AFTER_MS);
  return undefined;
}
