import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { TRACER_NAME } from '../../observability/tracing';

/**
 * One server span per HTTP request, made the active context while the route runs so the Temporal
 * client interceptor's "StartWorkflow" span — and through it the workflow, the activity and the
 * Claude call — belong to the same trace. A no-op unless tracing was started.
 */
export const traceRequests: RequestHandler = (req, res, next) => {
  const span = trace.getTracer(TRACER_NAME).startSpan(`HTTP ${req.method}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': req.method },
  });
  res.once('finish', () => {
    // The route template (not the raw path with ids) keeps span names low-cardinality.
    const route = (req.route as { path?: string } | undefined)?.path;
    if (route) span.updateName(`HTTP ${req.method} ${route}`);
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(context.active(), span), next);
};
