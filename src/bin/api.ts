import { loadConfig } from '../config';
import { createLogger } from '../logging/logger';
import { startApiServer } from '../runtime/api-server';
import { onShutdown } from '../runtime/shutdown';
import { connectClient } from '../temporal/connection';
import { readTemporalSettings } from '../temporal/settings';
import { exitOnStartupError } from './startup-error';

/** Entry point: the HTTP API (`npm run api`). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ name: 'api', level: config.logLevel, pretty: config.logPretty });
  const temporal = readTemporalSettings(process.env);
  const temporalClient = await connectClient(temporal);
  const { client } = temporalClient;
  const api = await startApiServer({ client, config, logger });
  logger.info(
    { url: api.url, temporal: temporal.address, namespace: temporal.namespace },
    'API listening',
  );
  onShutdown(async (reason) => {
    logger.info({ reason }, 'API draining');
    await api.close();
    await temporalClient.close();
    logger.info('API stopped');
  });
}

main().catch(exitOnStartupError('api'));
