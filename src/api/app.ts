import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { createJobService } from './job-service';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { buildOpenApiDocument } from './openapi';
import { chatRoutes } from './routes/chat-routes';
import { healthRoutes } from './routes/health-routes';

/** What the HTTP API needs from the outside. */
export interface AppDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
}

/** Builds the express application. It never listens: the caller owns the server. */
export function createApp({ client, config, logger }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const jobs = createJobService({ client, config, logger });
  const openApiDocument = buildOpenApiDocument();

  app.use(healthRoutes(client));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.use(chatRoutes({ jobs, config }));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
