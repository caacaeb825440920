/**
 * Entry point of a DBOS baseline worker process:
 * `node dist/bench-build/bench/baselines/dbos/worker.js`. It launches DBOS (which recovers the
 * pending workflows of its executor id, DBOS_EXECUTOR_ID) and dequeues chat workflows from the
 * queue, at most DBOS_WORKER_CONCURRENCY at once.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { DBOS_APP_NAME, readDbosSettings, type DbosSettings } from './config';
import { registerChatWorkflow } from './workflow';

/** Configures DBOS, registers the workflow and the queue, and launches. */
async function launchDbosWorker(settings: DbosSettings): Promise<void> {
  DBOS.setConfig({
    name: DBOS_APP_NAME,
    systemDatabaseUrl: settings.DBOS_DATABASE_URL,
    executorID: settings.DBOS_EXECUTOR_ID,
    applicationVersion: settings.DBOS_APP_VERSION,
    logLevel: 'warn',
    listenQueues: [settings.DBOS_QUEUE],
  });
  registerChatWorkflow(settings);
  await DBOS.launch();
  await DBOS.registerQueue(settings.DBOS_QUEUE, {
    workerConcurrency: settings.DBOS_WORKER_CONCURRENCY,
    minPollingIntervalMs: settings.DBOS_POLLING_MS,
    onConflict: 'always_update',
  });
}

async function main(): Promise<void> {
  const settings = readDbosSettings(process.env);
  await launchDbosWorker(settings);
  console.log(
    `dbos baseline worker polling (executor ${settings.DBOS_EXECUTOR_ID}, concurrency ${settings.DBOS_WORKER_CONCURRENCY})`,
  );
  const stop = () => {
    void DBOS.shutdown().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
