/**
 * Token-aware rate limits of one activity-worker process: per model, input and output tokens
 * per minute, each a token bucket holding this worker's share (the fleet limit divided by the
 * number of activity workers). A call reserves its estimate before it is dispatched — input from
 * token-estimate.ts, output its whole `max_tokens` — waits (heartbeating, cancellable) until both
 * fit, and is corrected by the usage Claude reports. Every response's
 * `anthropic-ratelimit-*-remaining` headers then lower the bucket to this worker's share of what
 * Claude says is left, so budget used elsewhere (other workers above their share, other
 * clients of the same key) slows dispatch on every worker that sees it, with no coordination,
 * no shared queue and no Temporal event. A 429 still goes to the rate governor as before.
 */

/** Per-minute token limits of one model (0: not limited). */
export interface TokenLimits {
  inputPerMin: number;
  outputPerMin: number;
}

/** Settings of {@link TokenRateLimiter}. */
export interface TokenLimitSettings {
  /** Limits of models without an override. */
  defaults: TokenLimits;
  /** Model-name prefix → limits (longest prefix wins), e.g. `{"claude-opus-4": {...}}`. */
  byModel: Record<string, Partial<TokenLimits>>;
  /** Activity-worker processes sharing the limits: each takes 1/workers of them. */
  workers: number;
}

/** What a dispatched call holds, to correct with its real usage. */
export interface TokenReservation {
  model: string;
  input: number;
  output: number;
}

interface Bucket {
  capacity: number;
  level: number;
}

interface ModelBuckets {
  input?: Bucket;
  output?: Bucket;
  at: number;
  /** Acquisitions wait in arrival order, so a large prompt is not starved by small ones. */
  turn: Promise<void>;
}

const MAX_WAIT_STEP_MS = 1_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('token wait aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('token wait aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether any token limit is configured. */
export function tokenLimitsEnabled(settings: TokenLimitSettings): boolean {
  const any = (l: Partial<TokenLimits>) => (l.inputPerMin ?? 0) > 0 || (l.outputPerMin ?? 0) > 0;
  return any(settings.defaults) || Object.values(settings.byModel).some(any);
}

/** One worker's token buckets (see the file comment). */
export class TokenRateLimiter {
  readonly #models = new Map<string, ModelBuckets>();

  constructor(
    private readonly settings: TokenLimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  #limits(model: string): TokenLimits {
    let best: string | undefined;
    for (const prefix of Object.keys(this.settings.byModel)) {
      if (model.startsWith(prefix) && (best === undefined || prefix.length > best.length)) {
        best = prefix;
      }
    }
    return { ...this.settings.defaults, ...(best ? this.settings.byModel[best] : {}) };
  }

  #buckets(model: string): ModelBuckets {
    let buckets = this.#models.get(model);
    if (!buckets) {
      const limits = this.#limits(model);
      const share = Math.max(1, this.settings.workers);
      const bucket = (perMin: number): Bucket | undefined =>
        perMin > 0 ? { capacity: perMin / share, level: perMin / share } : undefined;
      buckets = {
        ...(limits.inputPerMin > 0 ? { input: bucket(limits.inputPerMin) } : {}),
        ...(limits.outputPerMin > 0 ? { output: bucket(limits.outputPerMin) } : {}),
        at: this.now(),
        turn: Promise.resolve(),
      };
      this.#models.set(model, buckets);
    }
    return buckets;
  }

  #refill(buckets: ModelBuckets): void {
    const now = this.now();
    const elapsedMin = (now - buckets.at) / 60_000;
    buckets.at = now;
    for (const b of [buckets.input, buckets.output]) {
      if (b) b.level = Math.min(b.capacity, b.level + elapsedMin * b.capacity);
    }
  }

  /** Milliseconds until `need` fits in `b` (a need above capacity waits for a full bucket). */
  static #waitMs(b: Bucket | undefined, need: number): number {
    if (!b) return 0;
    const missing = Math.min(need, b.capacity) - b.level;
    return missing <= 0 ? 0 : (missing / b.capacity) * 60_000;
  }

  /**
   * Waits until `input` and `output` tokens of `model` fit this worker's share, then takes
   * them. Rejects when `signal` aborts (the activity was cancelled).
   */
  async acquire(
    model: string,
    input: number,
    output: number,
    signal?: AbortSignal,
  ): Promise<TokenReservation> {
    const buckets = this.#buckets(model);
    const mine = buckets.turn.then(async () => {
      for (;;) {
        this.#refill(buckets);
        const waitMs = Math.max(
          TokenRateLimiter.#waitMs(buckets.input, input),
          TokenRateLimiter.#waitMs(buckets.output, output),
        );
        if (waitMs <= 0) break;
        await sleep(Math.min(MAX_WAIT_STEP_MS, Math.ceil(waitMs)), signal);
      }
      if (buckets.input) buckets.input.level -= input;
      if (buckets.output) buckets.output.level -= output;
    });
    buckets.turn = mine.catch(() => undefined);
    await mine;
    return { model, input, output };
  }

  /** Corrects a reservation with what the call really used (or 0 when it was refused). */
  settle(reservation: TokenReservation, used: { input: number; output: number }): void {
    const buckets = this.#buckets(reservation.model);
    this.#refill(buckets);
    const give = (b: Bucket | undefined, delta: number) => {
      if (b) b.level = Math.min(b.capacity, b.level + delta);
    };
    give(buckets.input, reservation.input - used.input);
    give(buckets.output, reservation.output - used.output);
  }

  /**
   * Learns from a response's `anthropic-ratelimit-*` headers: each bucket is lowered to this
   * worker's share of what Claude says remains (never raised: another worker's share is not ours).
   */
  learn(model: string, headers: Pick<Headers, 'get'> | undefined): void {
    if (!headers) return;
    const buckets = this.#buckets(model);
    this.#refill(buckets);
    const share = Math.max(1, this.settings.workers);
    const clamp = (b: Bucket | undefined, kind: string) => {
      const remaining = Number(headers.get(`anthropic-ratelimit-${kind}-remaining`) ?? NaN);
      if (b && Number.isFinite(remaining)) b.level = Math.min(b.level, remaining / share);
    };
    clamp(buckets.input, 'input-tokens');
    clamp(buckets.output, 'output-tokens');
  }
}
