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

/** Options of {@link installTemporalRuntime}. */
export interface TemporalRuntimeOptions {
  /**
   * `host:port` where the SDK serves its own Prometheus metrics (`/metrics`: poll latencies,
   * schedule-to-start, slots, sticky cache, workflow-task failures…); absent = not exported.
   */
  sdkMetricsBindAddress?: string;
}

/**
 * Installs the Temporal worker runtime once per process, routing the SDK's own log lines into our
 * structured logger and, when asked, exporting the SDK's metrics to Prometheus. The runtime also
 * handles SIGINT/SIGTERM by shutting workers down gracefully.
 */
export function installTemporalRuntime(logger: Logger, options: TemporalRuntimeOptions = {}): void {
  const { sdkMetricsBindAddress } = options;
  const sdkLogger = new DefaultLogger('WARN', (entry) => {
    if (EXPECTED_ROLE_WARNINGS.test(entry.message)) return;
    logger[PINO_LEVEL[entry.level]]({ ...entry.meta, component: 'temporal-sdk' }, entry.message);
  });
  if (!sdkMetricsBindAddress) {
    Runtime.install({ logger: sdkLogger });
    return;
  }
  try {
    installWithMetrics(sdkLogger, sdkMetricsBindAddress);
    logger.info(
      { url: `http://${sdkMetricsBindAddress}/metrics` },
      'Temporal SDK metrics listening',
    );
  } catch (err) {
    // Typically the port is taken by another worker on this machine. Polling matters more than
    // the SDK's metrics: carry on without them (installing again after a failure is allowed).
    logger.warn(
      { err: (err as Error).message, bind_address: sdkMetricsBindAddress },
      'Temporal SDK metrics not exported; set a distinct TEMPORAL_SDK_METRICS_PORT per process (0 = off)',
    );
    Runtime.install({ logger: sdkLogger });
  }
}

function installWithMetrics(sdkLogger: DefaultLogger, bindAddress: string): void {
  Runtime.install({
    logger: sdkLogger,
    telemetryOptions: {
      metrics: {
        // Prometheus conventions: `_total` on counters, base units (seconds) in names.
        prometheus: {
          bindAddress,
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
        },
      },
    },
  });
}
