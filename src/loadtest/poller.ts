/**
 * Bounded-concurrency status poller. Jobs wait in one FIFO ordered by their next poll time (every
 * job uses the same interval, so appending keeps the order); `concurrency` loops take the head,
 * sleep until it is due and GET it. The poll rate is thus bounded by `concurrency` whatever the
 * backlog, so a large load test never turns into a GET flood against the system it measures.
 */
import type { JsonClient } from './http-json';

/** What a finished job looked like. */
export interface FinishedJob {
  body: Record<string, unknown>;
  detectedAt: number;
}

interface Entry {
  jobId: string;
  dueAt: number;
  onFinished: (job: FinishedJob) => void;
}

const IDLE_WAIT_MS = 20;
const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** A running poller. */
export interface Poller {
  /** Starts polling a job; `onFinished` is called once when its status is final. */
  watch(jobId: string, onFinished: (job: FinishedJob) => void): void;
  /** Jobs still being watched. */
  size(): number;
  /** GETs issued so far. */
  polls(): number;
  /** Stops the loops (resolves once every in-flight GET returned). */
  stop(): Promise<void>;
}

/** Starts `concurrency` poll loops against `client`. */
export function startPoller(opts: {
  client: JsonClient;
  intervalMs: number;
  concurrency: number;
  requestTimeoutMs: number;
  now: () => number;
}): Poller {
  let queue: Entry[] = [];
  let head = 0;
  let stopped = false;
  let polls = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function loop(): Promise<void> {
    while (!stopped) {
      const entry = queue[head];
      if (!entry) {
        await sleep(IDLE_WAIT_MS);
        continue;
      }
      const wait = entry.dueAt - opts.now();
      if (wait > 0) {
        await sleep(Math.min(wait, 100));
        continue;
      }
      head += 1;
      // Compact now and then so the array does not grow with every poll.
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      polls += 1;
      let finished = false;
      try {
        const answer = await opts.client.request(
          'GET',
          `/chat/${entry.jobId}`,
          undefined,
          opts.requestTimeoutMs,
        );
        const body = answer.body as Record<string, unknown> | undefined;
        if (answer.status === 200 && body && FINAL.has(String(body.status))) {
          finished = true;
          entry.onFinished({ body, detectedAt: opts.now() });
        }
      } catch {
        // A failed GET says nothing about the job: poll it again later.
      }
      if (!finished) queue.push({ ...entry, dueAt: opts.now() + opts.intervalMs });
    }
  }

  const loops = Array.from({ length: opts.concurrency }, () => loop());
  return {
    watch(jobId, onFinished) {
      queue.push({ jobId, dueAt: opts.now() + opts.intervalMs, onFinished });
    },
    size: () => queue.length - head,
    polls: () => polls,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
