import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { loadConfig } from '../config';
import { envSchema } from '../config/env-schema';
import { startTracing } from '../observability/tracing';
import { createLogger } from '../logging/logger';
import { startApiServer } from '../runtime/api-server';
import { envFromSchema, helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import { onShutdown } from '../runtime/shutdown';
import { createDataConverter, logPayloadEncryption } from '../security/data-converter';
import { assertStreamSecret } from '../streaming/stream-auth';
import { connectClient } from '../temporal/connection';
import { readTemporalSettings } from '../temporal/settings';
import { exitOnStartupError } from './startup-error';

const USAGE: CommandUsage = {
  synopsis: 'npm run api   (node dist/bin/api.js)',
  summary:
    'The HTTP API alone: validates and admits jobs, starts their workflows on Temporal, answers ' +
    'status, streams and usage. Needs a Temporal server and workers (`npm start` runs them all).',
  env: [
    ...envFromSchema(envSchema, {
      PORT: 'listen port',
      HOST: 'listen address',
      API_KEYS: '<sha256>:<user>[:<role>] entries from `npm run api-key`; unset = open dev mode',
      LOG_LEVEL: 'fatal|error|warn|info|debug|trace|silent',
    }),
    {
      name: 'TEMPORAL_ADDRESS',
      description: 'Temporal frontend host:port',
      default: '127.0.0.1:7233',
    },
    { name: 'TEMPORAL_NAMESPACE', description: 'Temporal namespace', default: 'default' },
  ],
  example: 'PORT=8080 TEMPORAL_ADDRESS=temporal:7233 npm run api',
};

/** Entry point: the HTTP API (`npm run api`). */
async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
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
