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

/**
 * The transcript settings: the database defaults to the usage ledger's. By reference by default
 * only with a database: files on one machine are wrong for a fleet whose workers are on several
 * (a model call would not find what a tool worker elsewhere wrote), so they must be asked for.
 */
export function transcriptConfig(e: EnvSettings): TranscriptConfig {
  const databaseUrl = e.TRANSCRIPT_DATABASE_URL ?? e.USAGE_DATABASE_URL;
  const mode = e.TRANSCRIPT_BY_REFERENCE;
  return {
    byReference: mode === 'true' || (mode === 'auto' && databaseUrl !== undefined),
    ...(databaseUrl ? { databaseUrl } : {}),
    dir: e.TRANSCRIPT_DIR,
    poolSize: e.USAGE_DATABASE_POOL_SIZE,
  };
}
