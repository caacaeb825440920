import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** Name of the tracer our own spans (HTTP requests, Claude calls) come from. */
export const TRACER_NAME = 'agent-fleet';

/** A process's tracing set-up, present only when an OTLP endpoint is configured. */
export interface TracingHandle {
  tracer: Tracer;
  resource: Resource;
  /** Also handed to the workflow worker's span-exporter sink (workflow spans are made in the sandbox). */
  spanProcessor: SpanProcessor;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Opt-in tracing: with an OTLP/HTTP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g.
 * http://127.0.0.1:4318) this process exports spans to `<endpoint>/v1/traces`; without one it
 * installs nothing and every span call is the API's no-op. W3C trace context is propagated, and
 * Temporal's interceptors carry it through workflow and activity headers, so one trace runs from
 * the HTTP request through the workflow and the activity to the Claude call.
 */
export function startTracing(
  serviceName: string,
  endpoint: string | undefined,
): TracingHandle | undefined {
  if (!endpoint) return undefined;
  const resource = new Resource({ 'service.name': serviceName });
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: trace.getTracer(TRACER_NAME),
    resource,
    spanProcessor,
    shutdown: () => provider.shutdown(),
  };
}
