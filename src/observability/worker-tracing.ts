import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { TracingHandle } from './tracing';

/** Activity interceptors that continue the trace carried in the activity's headers. */
function activityInterceptors(): NonNullable<WorkerOptions['interceptors']>['activity'] {
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
}

/**
 * Worker options that add tracing: activity spans, and for workflow workers the sink through
 * which the sandboxed workflow interceptors (bundled into the traced bundle) export their spans.
 */
export function workerTracingOptions(
  tracing: TracingHandle | undefined,
  role: 'workflow' | 'activity',
  base: Pick<WorkerOptions, 'interceptors'> = {},
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return base;
  return {
    interceptors: { ...base.interceptors, activity: activityInterceptors() },
    ...(role === 'workflow'
      ? { sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } }
      : {}),
  };
}
