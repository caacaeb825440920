/** Settings of {@link createStartLimiter}. */
export interface StartLimiterSettings {
  /** Limit before any start has been measured. */
  initial: number;
  /** The limit never drops below this (at least 1: some starts always probe the server). */
  min: number;
  /** Nor grows above this. */
  max: number;
  /**
   * A start slower than `rttTolerance` × the minimum RTT means requests queue in the server:
   * the limit shrinks in proportion. Faster than that, it grows.
   */
  rttTolerance: number;
  /**
   * Starts faster than this never count as queueing, however far above the minimum they are
   * (absent: 0). Without it a busy-but-healthy server — 20 ms starts against a 5 ms quiet minimum
   * — would shrink the limit to a handful and refuse a client with modest concurrency; with it the
   * limit only shrinks once starts approach the latency budget of an accepted request.
   */
  latencyTargetMs?: number;
  /** Window of the minimum RTT, so the baseline follows a server that got slower for good. */
  minRttWindowMs: number;
}

/** How a start ended, as the limiter learns from it. */
export type StartOutcome =
  /** Temporal answered (started, or "already started"): the RTT is a sample. */
  | 'success'
  /** Timed out or unavailable: a loss, the limit shrinks multiplicatively. */
  | 'dropped'
  /** Says nothing about the server's start latency (a validation error, an update's wait). */
  | 'ignored';

/** A slot of the limit, held for the duration of one start. */
export interface StartPermit {
  release(outcome: StartOutcome): void;
}

/** What metrics and `GET /queues` show. */
export interface StartLimiterState {
  limit: number;
  inFlight: number;
  /** Windowed minimum start RTT in ms (undefined until the first sample). */
  minRttMs?: number;
  /** Submissions refused because the limit was reached, since the process started. */
  refusals: number;
}

/** An adaptive concurrency limit on in-flight workflow starts. */
export interface StartLimiter {
  /** A slot, or undefined when in-flight starts have reached the limit (refuse the request). */
  tryAcquire(): StartPermit | undefined;
  /**
   * A slot, waiting up to `maxWaitMs` for one to be released when the limit is reached (first
   * come, first served; at most `limit` requests wait). Undefined when none came in time: refuse.
   * The short wait smooths the bursts of closed-loop clients; it is far below a start's own RTT
   * under overload, so the excess is still refused within milliseconds, never queued for long.
   */
  acquire(maxWaitMs: number): Promise<StartPermit | undefined>;
  /** True when {@link tryAcquire} would refuse now (to refuse before any other work). */
  full(): boolean;
  /** True when {@link acquire} would refuse at once: no slot, and the wait line is full. */
  lineFull(): boolean;
  /** Counts a submission refused because of the limit (by whoever refused it). */
  recordRefusal(): void;
  state(): StartLimiterState;
}

/** Share of the new estimate taken per sample: smooths one-off slow or fast starts. */
const SMOOTHING = 0.2;
/** Multiplicative decrease on a loss (timeout, unavailable). */
const DROP_FACTOR = 0.8;
/** The gradient never cuts the limit by more than half in one estimate. */
const MIN_GRADIENT = 0.5;

/** The integer limit a fractional estimate allows. */
function allowed(limit: number): number {
  return Math.max(1, Math.floor(limit));
}

/**
 * One step of the gradient estimate (after Netflix concurrency-limits' Gradient2 and TCP Vegas):
 * `gradient = clamp(max(tolerance × minRtt, latencyTarget) / rtt, 0.5, 1)`; the target is `limit × gradient +
 * √limit` (the square root is the headroom that lets the limit grow while latency stays near the
 * minimum); the limit moves a fifth of the way to the target. At equilibrium
 * `gradient = 1 − 1/√limit`, e.g. a limit of 25 settles where starts take 2.5 × the minimum with
 * a tolerance of 2. Latency alone cannot push the limit below 4 (= 4 × 0.5 + √4); losses can.
 * Exported for the unit tests of the arithmetic.
 */
export function nextLimit(
  limit: number,
  rttMs: number,
  minRttMs: number,
  settings: Pick<StartLimiterSettings, 'min' | 'max' | 'rttTolerance' | 'latencyTargetMs'>,
): number {
  const noQueueing = Math.max(settings.rttTolerance * minRttMs, settings.latencyTargetMs ?? 0);
  const gradient = Math.max(MIN_GRADIENT, Math.min(1, noQueueing / Math.max(rttMs, 1e-3)));
  const target = limit * gradient + Math.sqrt(limit);
  const next = (1 - SMOOTHING) * limit + SMOOTHING * target;
  return Math.min(settings.max, Math.max(settings.min, next));
}

/** The limit after a loss. */
export function limitAfterDrop(limit: number, settings: Pick<StartLimiterSettings, 'min'>): number {
  return Math.max(settings.min, limit * DROP_FACTOR);
}

/**
 * Creates the limiter. A submission that finds in-flight starts at the limit is refused at once
 * (503 `overloaded`), never queued behind the server: queueing is what made every client wait
 * seconds under overload. Each start's RTT is measured; the minimum over the last
 * one to two `minRttWindowMs` windows is the no-queueing baseline. The limit only
 * grows while at least half of it is in use, so an idle API does not inflate it.
 */
export function createStartLimiter(
  settings: StartLimiterSettings,
  now: () => number = () => performance.now(),
): StartLimiter {
  let limit = Math.min(settings.max, Math.max(settings.min, settings.initial));
  let inFlight = 0;
  let refusals = 0;
  /** Minimum of the current window, and of the one before (the baseline spans both). */
  let window = { start: now(), min: Infinity };
  let previousMin = Infinity;

  function recordRtt(rtt: number): number {
    const at = now();
    if (at - window.start >= settings.minRttWindowMs) {
      previousMin = window.min;
      window = { start: at, min: rtt };
    } else {
      window.min = Math.min(window.min, rtt);
    }
    return Math.min(window.min, previousMin);
  }

  /** Requests waiting for a slot, oldest first. */
  const waiters: Array<(permit: StartPermit) => void> = [];

  /** Hands freed slots to waiting requests, oldest first. */
  function wake(): void {
    while (waiters.length > 0 && inFlight < allowed(limit)) waiters.shift()!(grant());
  }

  function grant(): StartPermit {
    inFlight += 1;
    const started = now();
    // In use at the start of this request: the growth rule looks at demand, not at the drain.
    const busy = inFlight;
    let released = false;
    return {
      release(outcome) {
        if (released) return;
        released = true;
        inFlight -= 1;
        if (outcome === 'dropped') {
          limit = limitAfterDrop(limit, settings);
        } else if (outcome === 'success') {
          const rtt = now() - started;
          const minRtt = recordRtt(rtt);
          const next = nextLimit(limit, rtt, minRtt, settings);
          // App-limited: with less than half the limit in use, latency says nothing about
          // whether more would fit, so the limit may shrink but not grow.
          if (next < limit || busy * 2 >= limit) limit = next;
        }
        wake();
      },
    };
  }

  return {
    full: () => inFlight >= allowed(limit),
    lineFull: () => inFlight >= allowed(limit) && waiters.length >= allowed(limit),
    recordRefusal: () => {
      refusals += 1;
    },
    tryAcquire: () => (inFlight >= allowed(limit) || waiters.length > 0 ? undefined : grant()),
    acquire(maxWaitMs) {
      if (inFlight < allowed(limit) && waiters.length === 0) return Promise.resolve(grant());
      if (maxWaitMs <= 0 || waiters.length >= allowed(limit)) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const waiter = (permit: StartPermit) => {
          clearTimeout(timer);
          resolve(permit);
        };
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          resolve(undefined);
        }, maxWaitMs);
        waiters.push(waiter);
      });
    },
    state: () => ({
      limit: allowed(limit),
      inFlight,
      ...(Number.isFinite(Math.min(window.min, previousMin))
        ? { minRttMs: Math.min(window.min, previousMin) }
        : {}),
      refusals,
    }),
  };
}
