import pino, { type Logger } from 'pino';

/** Settings for a process logger. */
export interface LoggerOptions {
  /** Process role, e.g. "api" or "worker-activities"; appears on every line. */
  name: string;
  level: string;
  /** Human-readable lines for a terminal instead of JSON. */
  pretty: boolean;
}

/**
 * Paths removed from every log line. Secrets should never be passed to a logger at all; this is
 * the safety net for when someone logs a whole object by mistake.
 */
const REDACTED_PATHS = [
  'apiKey',
  'api_key',
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  '*.apiKey',
  '*.api_key',
  'ANTHROPIC_API_KEY',
  'TEMPORAL_API_KEY',
];

/** Creates the structured (pino) logger of one process. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    ...(options.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}

export type { Logger };
