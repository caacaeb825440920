import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Expected at start-up of single-role workers (a workflow worker has no activities and vice
 * versa): not worth a warning on every start.
 */
const EXPECTED_ROLE_WARNINGS = /^No (workflows|activities) registered, not polling/;

/**
 * Installs the Temporal worker runtime once per process, routing the SDK's own log lines into our
 * structured logger. The runtime also handles SIGINT/SIGTERM by shutting workers down gracefully.
 */
export function installTemporalRuntime(logger: Logger): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (EXPECTED_ROLE_WARNINGS.test(entry.message)) return;
      logger[PINO_LEVEL[entry.level]]({ ...entry.meta, component: 'temporal-sdk' }, entry.message);
    }),
  });
}
