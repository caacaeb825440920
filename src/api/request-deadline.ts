import type { Client } from '@temporalio/client';
import { HttpError } from './http-error';
import { toUnavailable } from './temporal-calls';

/** Retry-After (seconds) of a request that ran out of time waiting for Temporal. */
const UNAVAILABLE_RETRY_AFTER_S = 2;

/**
 * The one deadline of an HTTP request, shared by every Temporal call the request makes
 * (admission lookups, describe, start, query...). A fresh timeout per call would let a request
 * that makes three calls wait three timeouts; this makes the whole request wait at most one.
 */
export interface Deadline {
  /** Epoch milliseconds after which no Temporal call of this request may still be waited for. */
  readonly at: number;
}

/** A deadline `ms` from now. */
export function deadlineIn(ms: number): Deadline {
  return { at: Date.now() + ms };
}

/** The earlier of `deadline` and `ms` from now (e.g. a status query's own, shorter bound). */
export function capDeadline(deadline: Deadline, ms: number): Deadline {
  return { at: Math.min(deadline.at, Date.now() + ms) };
}

function outOfTime(): HttpError {
  return HttpError.unavailable(
    'The workflow service did not answer in time; retry later',
    UNAVAILABLE_RETRY_AFTER_S,
  );
}

/**
 * Runs one Temporal call under the request's deadline and answers no later than it, whatever the
 * call does. Two layers, because the gRPC deadline alone is not enough: the client's retry
 * interceptor sleeps between attempts on UNAVAILABLE (100 ms × 1.7ⁿ up to 5 s) and only sees
 * the deadline when the next attempt starts, so a call with a 5-s deadline against a dead server
 * was answered after ~5.6 s — and admission made three such calls in a row (backlog, user
 * count, start), which is where a 17.3-s 503 came from. The timer settles the promise at the
 * deadline; the abandoned attempt dies at its next retry, as its own gRPC deadline has passed.
 * Errors that mean "Temporal unreachable" become 503 with Retry-After; others pass through.
 */
export function callWithin<T>(
  client: Client,
  deadline: Deadline,
  call: () => Promise<T>,
): Promise<T> {
  if (deadline.at <= Date.now()) return Promise.reject(outOfTime());
  return settleWithin(deadline, client.withDeadline(deadline.at, call));
}

/** Like {@link callWithin} for work that is not a Temporal call (e.g. a shared lookup). */
export function settleWithin<T>(deadline: Deadline, work: Promise<T>): Promise<T> {
  const left = deadline.at - Date.now();
  if (left <= 0) return Promise.reject(outOfTime());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(outOfTime()), left);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: Error) => {
        clearTimeout(timer);
        const mapped = toUnavailable(err);
        reject(mapped instanceof Error ? mapped : err);
      },
    );
  });
}
