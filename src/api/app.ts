import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { createApiMetrics, type ApiMetrics } from '../observability/api-metrics';
import { createMetricsRegistry } from '../observability/registry';
import { createToolRegistry } from '../activities/tools/registry';
import { createAdmissionController } from './admission/admission-controller';
import { createApprovalService } from './approval-service';
import { createStartLimiter } from './admission/start-limiter';
import { createConversationService } from './conversation-service';
import { createJobService } from './job-service';
import { createJobSubmitter } from './job-submission';
import { deadlineIn, type Deadline } from './request-deadline';
import { ApiKeyStore } from '../security/api-keys';
import { authenticate } from './middleware/authenticate';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { rateLimitPerKey } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { traceRequests } from './middleware/trace-requests';
import { requestMetrics } from './middleware/request-metrics';
import { buildOpenApiDocument } from './openapi';
import { chatRoutes } from './routes/chat-routes';
import { approvalRoutes } from './routes/approval-routes';
import { codecRoutes } from './routes/codec-routes';
import { consoleRoutes } from './console-routes';
import { conversationRoutes } from './routes/conversation-routes';
import { eventsRoutes } from './routes/events-routes';
import { healthRoutes } from './routes/health-routes';
import { queueRoutes } from './routes/queue-routes';
import { createTemporalLedgerReader } from '../usage/temporal-ledger-store';
import type { UsageReader } from '../usage/types';
import { createUsageView } from '../usage/usage-view';
import { usageRoutes } from '../usage/usage-routes';

/** What the HTTP API needs from the outside. */
export interface AppDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
  /** Metrics served at `GET /metrics`; a fresh registry when absent. */
  metrics?: ApiMetrics;
  /** The usage ledger (src/usage); absent = the ledger workflows' memos, read through `client`. */
  usage?: UsageReader;
  /** Folder of the built web console served at `/` (default dist/console). */
  consoleDir?: string;
}

/** Builds the express application. It never listens: the caller owns the server. */
export function createApp(deps: AppDeps): Express {
  const { client, config, logger, metrics: given } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = given ?? createApiMetrics(createMetricsRegistry());
  const registry = createToolRegistry();
  const jobs = createJobService({ client, config, logger, metrics });
  const conversations = createConversationService({ client, config, registry });
  const usage = deps.usage ?? createTemporalLedgerReader(client, config.http.temporalRpcTimeoutMs);
  /** Any job: a workflow of its own, or a conversation turn still queued behind earlier ones. */
  const findJob = async (jobId: string, deadline: Deadline) =>
    (await jobs.get(jobId, deadline)) ?? (await conversations.getQueuedTurn(jobId, deadline));
  const limiter = createStartLimiter(config.scheduling.startLimit);
  metrics.observeStartLimiter(() => limiter.state());
  const admission = createAdmissionController({
    client,
    config,
    logger,
    limiter,
    usage,
    onRefused: (reason) => metrics.admissionRefusals.inc({ reason }),
  });
  const submitter = createJobSubmitter({
    client,
    config,
    logger,
    registry,
    conversations,
    admission,
  });
  const approvals = createApprovalService({ client, config, logger });
  const openApiDocument = buildOpenApiDocument();

  app.use(requestId);
  app.use(traceRequests);
  // Security headers; the API serves JSON only, so the strictest defaults apply.
  app.use(helmet());
  app.use(requestMetrics(metrics));
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(healthRoutes(client));
  // The codec server has its own bearer token (CODEC_SERVER_TOKEN) and CORS: it is called by
  // the Temporal Web UI and CLI, not by API clients, so it sits before the API-key routes.
  app.use(codecRoutes({ config, namespace: client.options.namespace }));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  // The web console (static files calling the public API below, like any client).
  app.use(consoleRoutes(deps.consoleDir));
  // Everything below /chat, /queues, /conversations and /users needs an API key (when keys are
  // configured) and is rate-limited per key; health, metrics and the OpenAPI document do not.
  const apiKeys = new ApiKeyStore(config.auth.apiKeys);
  app.use(
    ['/chat', '/queues', '/conversations', '/users', '/approvals'],
    authenticate(apiKeys),
    rateLimitPerKey(config.auth.perKeyRps, config.auth.perKeyBurst),
  );
  app.use(approvalRoutes({ approvals, config, findJob }));
  app.use(
    chatRoutes({
      jobs,
      submitter,
      config,
      findJob,
      metrics,
      agentFeatures: true,
      toolNames: registry.names(),
    }),
  );
  app.use(
    eventsRoutes({
      client,
      config,
      findJob: (jobId) => findJob(jobId, deadlineIn(config.http.temporalRpcTimeoutMs)),
    }),
  );
  app.use(conversationRoutes({ conversations, config }));
  app.use(usageRoutes(createUsageView({ reader: usage, config, logger })));
  app.use(queueRoutes({ admission, config, approvals }));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
