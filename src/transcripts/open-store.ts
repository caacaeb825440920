import type { Logger } from 'pino';
import type { TranscriptConfig } from '../config/transcript-config';
import { createFileTranscriptStore } from './file-store';
import { openPostgresTranscriptStore } from './postgres-store';
import type { TranscriptStore } from './types';

/**
 * The process's transcript store: PostgreSQL when a database is configured (any number of
 * machines), else files under `config.dir` (one machine).
 */
export async function openTranscriptStore(
  config: TranscriptConfig,
  logger: Logger,
): Promise<TranscriptStore> {
  if (config.databaseUrl) {
    return openPostgresTranscriptStore({
      url: config.databaseUrl,
      poolSize: config.poolSize,
      logger,
    });
  }
  return createFileTranscriptStore(config.dir);
}
