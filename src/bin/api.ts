import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { loadConfig } from '../config';
import { startTracing } from '../observability/tracing';
import { createLogger } from '../logging/logger';
import { startApiServer } from '../runtime/api-server';
import { onShutdown } from '../runtime/shutdown';
import { createDataConverter, logPayloadEncryption } from '../security/data-converter';
import { assertStreamSecret } from '../streaming/stream-auth';
import { connectClient } from '../temporal/connection';
import { readTemporalSettings } from '../temporal/settings';
import { exitOnStartupError } from './startup-error';

/** Entry point: the HTTP API (`npm run api`). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Before anything connects: a production API without the stream secret must not start.
  assertStreamSecret(config, 'api');
  const logger = createLogger({ name: 'api', level: config.logLevel, pretty: config.logPretty });
  const temporal = readTemporalSettings(process.env);
  logPayloadEncryption(logger, config.payloadEncryption.keyring);
  const tracing = startTracing(
    config.observability.serviceName ?? 'agent-fleet-api',
    config.observability.otlpEndpoint,
  );
  const temporalClient = await connectClient(temporal, {
    dataConverter: createDataConverter(config.payloadEncryption.keyring),
    // Carries the request's trace into the workflow's headers.
    ...(tracing
      ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } }
      : {}),
  });
  const { client } = temporalClient;
  if (config.auth.apiKeys.length === 0) {
    logger.warn(
      'No API keys configured (API_KEYS / API_KEYS_FILE): the API runs in OPEN DEVELOPMENT MODE — any caller may submit as any user_id and read any job',
    );
  }
  const api = await startApiServer({ client, config, logger });
  logger.info(
    { url: api.url, temporal: temporal.address, namespace: temporal.namespace },
    'API listening',
  );
  onShutdown(async (reason) => {
    logger.info({ reason }, 'API draining');
    await api.close();
    await temporalClient.close();
    await tracing?.shutdown();
    logger.info('API stopped');
  });
}

main().catch(exitOnStartupError('api'));
