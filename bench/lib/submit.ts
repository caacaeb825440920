/** POST /chat for the bench's own job batches, which need every job to run. */
import type { JsonClient } from '../../src/loadtest/http-json';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POSTs a job and returns its id. A 503/429 (admission control) is retried after its
 * `Retry-After`, counted through `onRefused`; any other answer throws.
 */
export async function submitJob(
  http: JsonClient,
  body: Record<string, unknown>,
  onRefused: () => void = () => undefined,
): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const answer = await http.request('POST', '/chat', body);
    if (answer.status === 202 || answer.status === 200)
      return String((answer.body as { job_id: string }).job_id);
    if (answer.status !== 503 && answer.status !== 429)
      throw new Error(`POST /chat answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    onRefused();
    const retryAfter = Number(answer.headers['retry-after'] ?? 1);
    await sleep(Math.max(100, (Number.isFinite(retryAfter) ? retryAfter : 1) * 1000));
  }
  throw new Error('POST /chat kept refusing');
}
