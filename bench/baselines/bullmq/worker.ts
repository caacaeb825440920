/**
 * Entry point of a baseline worker process. Lock duration and stalled-job checker are matched to
 * our 5-s heartbeat timeout (see config.ts); a failed call is retried after its `retry-after`
 * when the model sent one. BullMQ defaults otherwise (one stall allowed before a job fails).
 */
import { Worker } from 'bullmq';
import { readBullmqSettings } from './config';
import { createChatProcessor, type ChatJobData, type ChatJobResult } from './processor';
import { bullmqWorkerOptions } from './worker-options';

async function main(): Promise<void> {
  const settings = readBullmqSettings(process.env);
  const worker = new Worker<ChatJobData, ChatJobResult>(
    settings.BULLMQ_QUEUE,
    createChatProcessor(settings),
    bullmqWorkerOptions(settings),
  );
  worker.on('error', (err) => console.error(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  console.log(`bullmq baseline worker polling (concurrency ${settings.BULLMQ_CONCURRENCY})`);
  const stop = () => {
    void worker.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
