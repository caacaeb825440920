import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { startMetricsServer, type MetricsServerHandle } from './metrics-server';
import { createMetricsRegistry } from './registry';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics';

/** A worker process's metrics and the server exposing them. */
export interface WorkerObservability {
  metrics: WorkerMetrics;
  /** URL of `/metrics`, when the server is listening. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** `host:port` for the Temporal SDK's Prometheus exporter, or undefined when it is off. */
export function sdkMetricsBindAddress(config: AppConfig): string | undefined {
  const { metricsHost, sdkMetricsPort } = config.observability;
  return sdkMetricsPort === 0 ? undefined : `${metricsHost}:${sdkMetricsPort}`;
}

/**
 * Creates a worker process's metrics and serves them on METRICS_HOST:METRICS_PORT (0 = not
 * served). A port already taken is logged, not fatal: a worker that cannot publish metrics can
 * still do its job, and losing it would be worse than a gap on a dashboard.
 */
export async function startWorkerObservability(deps: {
  config: AppConfig;
  logger: Logger;
}): Promise<WorkerObservability> {
  const { config, logger } = deps;
  const registry = createMetricsRegistry();
  const metrics = createWorkerMetrics(registry, { prices: config.observability.prices });
  const { metricsHost, metricsPort } = config.observability;
  let server: MetricsServerHandle | undefined;
  if (metricsPort !== 0) {
    try {
      server = await startMetricsServer({ registry, host: metricsHost, port: metricsPort });
      logger.info({ url: server.url }, 'worker metrics listening');
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, port: metricsPort },
        'worker metrics not served; set a distinct METRICS_PORT per process (0 = off)',
      );
    }
  }
  return {
    metrics,
    ...(server ? { metricsUrl: server.url } : {}),
    close: async () => {
      await server?.close();
    },
  };
}
