import type { EnvSettings } from './env-schema';

/** Where agent transcripts live when a job passes its transcript by reference. */
export interface TranscriptConfig {
  /** New agent jobs keep their transcript in the store, not in their Temporal history. */
  byReference: boolean;
  /**
   * PostgreSQL database of the transcripts (`postgres://…`): required when workers run on more
   * than one machine. A secret (it may hold a password): never logged.
   */
  databaseUrl?: string;
  /** Directory of the file store, used when no database is configured (one machine only). */
  dir: string;
  /** Connections per process to the database. */
  poolSize: number;
}

/** The transcript settings: the database defaults to the usage ledger's. */
export function transcriptConfig(e: EnvSettings): TranscriptConfig {
  const databaseUrl = e.TRANSCRIPT_DATABASE_URL ?? e.USAGE_DATABASE_URL;
  return {
    byReference: e.TRANSCRIPT_BY_REFERENCE,
    ...(databaseUrl ? { databaseUrl } : {}),
    dir: e.TRANSCRIPT_DIR,
    poolSize: e.USAGE_DATABASE_POOL_SIZE,
  };
}
