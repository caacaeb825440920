/** Options of {@link waitForHttpOk}. */
export interface WaitForHttpOkOptions {
  timeoutMs: number;
  /** Pause between attempts. Default 250 ms. */
  intervalMs?: number;
  /**
   * Called between attempts; throwing ends the wait with that error (e.g. "the process that
   * should answer has exited", so a crash is reported at once instead of after the timeout).
   */
  check?: () => void;
  /** Appended to the timeout error (e.g. the tail of the process's output). */
  detail?: () => string;
}

/**
 * Polls `url` with GET until it answers 2xx; connection errors and other statuses mean "not yet".
 * The one readiness wait of every local stack (`npm start`, `stack:postgres`, the test and
 * chaos stacks).
 */
export async function waitForHttpOk(url: string, options: WaitForHttpOkOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      // Drain the body so the connection is released.
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    options.check?.();
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  const detail = options.detail?.();
  throw new Error(
    `${url} did not answer 200 within ${options.timeoutMs / 1000} s${detail ? `:\n${detail}` : ''}`,
  );
}
