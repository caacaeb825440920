import type { RequestHandler } from 'express';
import { TokenBuckets } from '../../security/token-bucket';
import { callerOf } from '../caller';
import { HttpError } from '../http-error';

/**
 * Per-key request rate limit (429 + Retry-After). Keyed by the API key, or by the client address
 * in open mode. A refused request does nothing else: it is rejected before any route runs.
 */
export function rateLimitPerKey(ratePerSecond: number, burst: number): RequestHandler {
  if (ratePerSecond <= 0) return (_req, _res, next) => next();
  const buckets = new TokenBuckets(ratePerSecond, burst);
  return (req, res, next) => {
    const caller = callerOf(res);
    const key =
      caller.mode === 'key' ? `key:${caller.keyId}` : `ip:${req.socket.remoteAddress ?? '?'}`;
    const waitSeconds = buckets.take(key);
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
