/**
 * Per-conversation attempt numbers. Retries of a job send the identical body, so counting by
 * conversation key tells a test how many times the job reached the model.
 */

/**
 * Keys remembered at most. Benchmarks create a new conversation per job; beyond this the oldest
 * keys are forgotten so a long run cannot exhaust memory.
 */
const MAX_KEYS = 1_000_000;

/** Counts attempts per conversation key. */
export class AttemptCounter {
  readonly #counts = new Map<string, number>();

  /** Record one more attempt for `key` and return its 1-based number. */
  next(key: string): number {
    const attempt = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, attempt);
    if (this.#counts.size > MAX_KEYS) {
      const oldest = this.#counts.keys().next();
      if (!oldest.done) this.#counts.delete(oldest.value);
    }
    return attempt;
  }

  /** Forget every key. */
  clear(): void {
    this.#counts.clear();
  }
}
