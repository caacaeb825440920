/**
 * Per-minute request, input-token and output-token limits, enforced like Anthropic's: each is a
 * token bucket holding one minute's allowance and refilled continuously. Every response carries
 * the `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}` headers
 * (reset: RFC 3339 time the bucket is full again); a request that does not fit is a 429 with
 * `retry-after`. Input tokens are counted as the fake bills them (its usage: one per word).
 */

/** Per-minute limits (0 or absent: not limited). */
export interface FakeRateLimits {
  requestsPerMin?: number;
  inputTokensPerMin?: number;
  outputTokensPerMin?: number;
}

type Kind = 'requests' | 'input-tokens' | 'output-tokens';

interface Bucket {
  kind: Kind;
  limit: number;
  level: number;
  at: number;
}

/** The result of {@link RateLimiter.admit}: the headers to send, and whether the request fits. */
export interface Admission {
  headers: Record<string, string>;
  /** Seconds to wait before the request would fit (absent: it was admitted and charged). */
  retryAfterS?: number;
}

/** The fake's limiter (one per server; reset with the server's state). */
export class RateLimiter {
  readonly #buckets: Bucket[];

  constructor(limits: FakeRateLimits, now = Date.now()) {
    const make = (kind: Kind, limit: number | undefined): Bucket[] =>
      limit && limit > 0 ? [{ kind, limit, level: limit, at: now }] : [];
    this.#buckets = [
      ...make('requests', limits.requestsPerMin),
      ...make('input-tokens', limits.inputTokensPerMin),
      ...make('output-tokens', limits.outputTokensPerMin),
    ];
  }

  /** Whether any limit is configured (no headers are sent otherwise). */
  get enabled(): boolean {
    return this.#buckets.length > 0;
  }

  #refill(now: number): void {
    for (const b of this.#buckets) {
      b.level = Math.min(b.limit, b.level + ((now - b.at) / 60_000) * b.limit);
      b.at = now;
    }
  }

  /**
   * Charges one request and its input tokens if both fit and output tokens remain (the output
   * is charged by {@link chargeOutput} once known); otherwise charges nothing.
   */
  admit(inputTokens: number, now = Date.now()): Admission {
    this.#refill(now);
    // A prompt larger than the whole limit waits for a full bucket (and then overdraws it).
    const need = (b: Bucket) => (b.kind === 'input-tokens' ? Math.min(inputTokens, b.limit) : 1);
    let waitS = 0;
    for (const b of this.#buckets) {
      const missing = need(b) - b.level;
      if (missing > 0) waitS = Math.max(waitS, (missing / b.limit) * 60);
    }
    if (waitS > 0)
      return { headers: this.headers(now), retryAfterS: Math.max(1, Math.ceil(waitS)) };
    for (const b of this.#buckets) {
      if (b.kind === 'requests') b.level -= 1;
      if (b.kind === 'input-tokens') b.level -= inputTokens;
    }
    return { headers: this.headers(now) };
  }

  /** Charges a reply's output tokens (may take the bucket below zero, as a long reply does). */
  chargeOutput(outputTokens: number, now = Date.now()): void {
    this.#refill(now);
    for (const b of this.#buckets) if (b.kind === 'output-tokens') b.level -= outputTokens;
  }

  /** The `anthropic-ratelimit-*` headers as of `now`. */
  headers(now = Date.now()): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const b of this.#buckets) {
      const remaining = Math.max(0, Math.floor(b.level));
      const fullInMs = ((b.limit - Math.min(b.limit, b.level)) / b.limit) * 60_000;
      headers[`anthropic-ratelimit-${b.kind}-limit`] = String(b.limit);
      headers[`anthropic-ratelimit-${b.kind}-remaining`] = String(remaining);
      headers[`anthropic-ratelimit-${b.kind}-reset`] = new Date(
        Math.ceil((now + fullInMs) / 1000) * 1000,
      ).toISOString();
    }
    return headers;
  }
}
