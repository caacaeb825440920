/**
 * An activity worker's Temporal identity names its live-text stream server, so the API finds the
 * live text of a running model call from what the server already records — the identity of the
 * worker that started the attempt (`pendingActivities[].lastWorkerIdentity`) and the attempt
 * number — instead of from a heartbeat sent just to announce it. That heartbeat cost every model
 * call one RecordActivityTaskHeartbeat (a persistence write, a billable action), however short.
 *
 * Format: `<name> <stream base URL>`, e.g. `activities:4242@host-1 http://10.0.0.7:9467`: still
 * readable in the Web UI, and the URL is the last space-separated word.
 */
import { streamUrl } from './stream-server';

/** `identity` extended with the stream server's base URL (unchanged when streaming is off). */
export function identityWithStream(identity: string, streamBaseUrl: string | undefined): string {
  return streamBaseUrl ? `${identity} ${streamBaseUrl}` : identity;
}

/** The stream base URL an identity names, if any (identities of older workers name none). */
export function streamBaseUrlOf(identity: string | null | undefined): string | undefined {
  const last = identity?.trim().split(/\s+/).pop();
  if (!last || !/^https?:\/\//.test(last)) return undefined;
  try {
    return new URL(last).href.replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Where the attempt a worker with `identity` is running serves call `call` of job `jobId`, or
 * undefined when the identity names no stream server. The worker answers 404 for a stream it
 * does not hold (another call, or the attempt not opened yet); callers simply look again later.
 */
export function attemptStreamUrl(
  identity: string | null | undefined,
  jobId: string,
  call: number,
  attempt: number,
): string | undefined {
  const base = streamBaseUrlOf(identity);
  return base ? streamUrl(base, jobId, call, attempt) : undefined;
}
