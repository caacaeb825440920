import type { RequestHandler } from 'express';
import { TokenBuckets } from '../../security/token-bucket';
import { callerOf } from '../caller';
import { HttpError } from '../http-error';

/**
 * Per-key request rate limit (429 + Retry-After), keyed by the API key. A refused request does
 * nothing else: it is rejected before any route runs. Open development mode has no keys and so
 * no per-key limit (admission control and the per-user cap still apply); limiting by client
 * address there would mostly throttle load tests and proxies that share an address.
 */
export function rateLimitPerKey(ratePerSecond: number, burst: number): RequestHandler {
  if (ratePerSecond <= 0) return (_req, _res, next) => next();
  const buckets = new TokenBuckets(ratePerSecond, burst);
  return (_req, res, next) => {
    const caller = callerOf(res);
    if (caller.mode !== 'key') {
      next();
      return;
    }
    const waitSeconds = buckets.take(caller.keyId);
    if (waitSeconds > 0) {
      next(
        new HttpError(429, 'rate_limited', 'Too many requests for this API key', undefined, {
          'Retry-After': String(Math.max(1, Math.ceil(waitSeconds))),
        }),
      );
      return;
    }
    next();
  };
}
