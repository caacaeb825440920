import type { ManagedProcess } from './managed-process';

/**
 * The one readiness wait: polls `url` until it answers 2xx. With `who`, fails at once (with its
 * last output) if that process exits first, instead of waiting out the timeout.
 */
export async function waitForHttpOk(
  url: string,
  timeoutMs: number,
  who?: ManagedProcess,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1_000, intervalMs)) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (who && !who.running())
      throw new Error(`${who.spec.name} exited while starting:\n${who.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `${url} did not answer 200 within ${timeoutMs / 1000} s` +
      (who ? `:\n${who.output().slice(-3000)}` : ''),
  );
}
