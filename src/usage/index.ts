/**
 * The usage ledger: every successful model call records `{jobId, call, userId, model, usage, at}`
 * from its activity through a {@link UsageSink} and awaits the commit; a store counts each
 * (jobId, call) once. The store is PostgreSQL when `USAGE_DATABASE_URL` is set, else the per-user
 * ledger workflows. The API reads totals and the daily budget through a {@link UsageReader}.
 * See docs/usage-ledger.md.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { createGroupCommitWriter, type UsageWriter } from './group-commit-writer';
import { openPostgresUsageStore } from './postgres-store';
import { createTemporalLedgerReader, createTemporalLedgerStore } from './temporal-ledger-store';
import type { UsageReader, UsageStore } from './types';

export type { UsageCallRecord, UsageReader, UsageSink, UsageStore } from './types';
export type { UsageWriter } from './group-commit-writer';
export { commitCallUsage, isUsageNotRecorded } from './commit-call-usage';
export { createUsageView, type UsageView } from './usage-view';
export { usageRoutes } from './usage-routes';

/** The configured store and its reader. */
export interface UsageBackend {
  kind: UsageStore['kind'];
  store: UsageStore;
  reader: UsageReader;
  close(): Promise<void>;
}

/** Dependencies of {@link openUsageBackend}. */
export interface UsageBackendDeps {
  config: AppConfig;
  /** Used by the Temporal-ledger fallback (signals and describes); owned by the caller. */
  client: Client;
  logger: Logger;
}

/** Opens PostgreSQL when `USAGE_DATABASE_URL` is set (creating what is missing), else the ledger. */
export async function openUsageBackend(deps: UsageBackendDeps): Promise<UsageBackend> {
  const { config } = deps;
  if (config.usage.databaseUrl) {
    const pg = await openPostgresUsageStore({
      url: config.usage.databaseUrl,
      poolSize: config.usage.poolSize,
      logger: deps.logger,
    });
    return { kind: 'postgres', store: pg, reader: pg, close: () => pg.close() };
  }
  const store = createTemporalLedgerStore({
    client: deps.client,
    workflowTaskQueue: config.taskQueues.workflows,
  });
  return {
    kind: 'temporal',
    store,
    reader: createTemporalLedgerReader(deps.client, config.http.temporalRpcTimeoutMs),
    close: () => store.close(),
  };
}

/** Options of {@link openUsageWriter} beyond the backend's. */
export interface UsageWriterDeps extends UsageBackendDeps {
  /** Size of each committed batch (a metric). */
  onFlush?: (records: number, durationMs: number, committed: boolean) => void;
}

/** The group-commit writer of an activity-worker process, over the configured store. */
export async function openUsageWriter(deps: UsageWriterDeps): Promise<UsageWriter> {
  const backend = await openUsageBackend(deps);
  deps.logger.info({ store: backend.kind }, 'usage ledger ready');
  return createGroupCommitWriter({
    store: backend.store,
    logger: deps.logger,
    ...(deps.onFlush ? { onFlush: deps.onFlush } : {}),
  });
}
