import type { Request, RequestHandler } from 'express';
import type { ApiMetrics } from '../../observability/api-metrics';

/** Why POST /chat refused a job, by status code (the error body's code is not visible here). */
const REFUSAL_REASONS: Readonly<Record<number, string>> = {
  400: 'invalid_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'temporal_unavailable',
};

/**
 * The route *template* of a request (`/chat/:job_id`), never the raw path: raw paths would create
 * one series per job id. Requests that matched no route share one label.
 */
function routeLabel(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched';
}

/** Counts and times every request, and counts refused job submissions by reason. */
export function requestMetrics(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const route = routeLabel(req);
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      stop(labels);
      metrics.httpRequests.inc(labels);
      if (req.method === 'POST' && route === '/chat' && res.statusCode >= 400) {
        metrics.admissionRefusals.inc({
          reason: REFUSAL_REASONS[res.statusCode] ?? `http_${res.statusCode}`,
        });
      }
    });
    next();
  };
}
