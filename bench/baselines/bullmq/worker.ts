/**
 * Entry point of a baseline worker process. BullMQ defaults otherwise: stalled-job checker every
 * 30 s, lock duration 30 s, one stall allowed before a job fails.
 */
import { Worker } from 'bullmq';
import { readBullmqSettings, redisConnection } from './config';
import { createChatProcessor, type ChatJobData, type ChatJobResult } from './processor';

async function main(): Promise<void> {
  const settings = readBullmqSettings(process.env);
  const worker = new Worker<ChatJobData, ChatJobResult>(
    settings.BULLMQ_QUEUE,
    createChatProcessor(settings),
    {
      connection: redisConnection(settings),
      prefix: settings.BULLMQ_PREFIX,
      concurrency: settings.BULLMQ_CONCURRENCY,
    },
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
