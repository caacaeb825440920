import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { createApiMetrics, type ApiMetrics } from '../observability/api-metrics';
import { createMetricsRegistry } from '../observability/registry';
import { createAdmissionController } from './admission/admission-controller';
import { createJobService } from './job-service';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { requestMetrics } from './middleware/request-metrics';
import { buildOpenApiDocument } from './openapi';
import { chatRoutes } from './routes/chat-routes';
import { healthRoutes } from './routes/health-routes';
import { queueRoutes } from './routes/queue-routes';

/** What the HTTP API needs from the outside. */
export interface AppDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
  /** Metrics served at `GET /metrics`; a fresh registry when absent. */
  metrics?: ApiMetrics;
}

/** Builds the express application. It never listens: the caller owns the server. */
export function createApp({ client, config, logger, metrics: given }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = given ?? createApiMetrics(createMetricsRegistry());
  const jobs = createJobService({ client, config, logger, metrics });
  const admission = createAdmissionController({
    client,
    config,
    logger,
    onRefused: (reason) => metrics.admissionRefusals.inc({ reason }),
  });
  const openApiDocument = buildOpenApiDocument();

  app.use(requestMetrics(metrics));
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(healthRoutes(client));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.use(chatRoutes({ jobs, config, metrics, admission }));
  app.use(queueRoutes({ admission, config }));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
