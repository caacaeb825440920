import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { createApp } from '../api/app';
import type { AppConfig } from '../config';
import { createApiMetrics, type ApiMetrics } from '../observability/api-metrics';
import { startQueueSampler } from '../observability/queue-sampler';
import { createMetricsRegistry } from '../observability/registry';
import { openUsageBackend } from '../usage';

/** A listening API server. */
export interface ApiServerHandle {
  server: Server;
  url: string;
  /** The metrics served at `/metrics` (tests read them directly too). */
  metrics: ApiMetrics;
  /** Samples the task-queue backlog gauges now instead of waiting for the background timer. */
  sampleQueues(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish within the grace, then closes the rest. */
  close(): Promise<void>;
}

/**
 * Starts the HTTP API on the configured host and port (port 0 = ephemeral), with its metrics,
 * the usage ledger's reader (PostgreSQL when configured) and the background task-queue sampler
 * (all stopped by `close`).
 */
export async function startApiServer(deps: {
  client: Client;
  config: AppConfig;
  logger: Logger;
}): Promise<ApiServerHandle> {
  const metrics = createApiMetrics(createMetricsRegistry());
  const usage = await openUsageBackend(deps);
  deps.logger.info({ store: usage.kind }, 'usage ledger ready');
  const sampler = startQueueSampler({
    client: deps.client,
    namespace: deps.client.options.namespace,
    queues: [
      { name: deps.config.taskQueues.workflows, type: 'workflow' },
      { name: deps.config.taskQueues.activities, type: 'activity' },
      { name: deps.config.taskQueues.tools, type: 'activity' },
    ],
    metrics,
    logger: deps.logger,
    intervalMs: deps.config.observability.queueSampleIntervalMs,
  });
  const app = createApp({ ...deps, metrics, usage: usage.reader });
  const server = createServer(app);
  // Keep-alive longer than typical load balancers' idle timeout avoids racing connection reuse.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      sampler.stop();
      void usage.close();
      reject(err);
    });
    server.listen(deps.config.http.port, deps.config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = deps.config.http.host === '0.0.0.0' ? '127.0.0.1' : deps.config.http.host;
  return {
    server,
    url: `http://${host}:${port}`,
    metrics,
    sampleQueues: () => sampler.sampleOnce(),
    close: () =>
      new Promise<void>((resolve) => {
        sampler.stop();
        const force = setTimeout(
          () => server.closeAllConnections(),
          deps.config.http.shutdownGraceMs,
        );
        force.unref();
        server.close(() => {
          clearTimeout(force);
          usage.close().then(resolve, resolve);
        });
        server.closeIdleConnections();
      }),
  };
}
