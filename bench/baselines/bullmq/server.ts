/** Entry point of the baseline API process: `node dist/bench-build/bench/baselines/bullmq/server.js`. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { createBullmqApp } from './app';
import { readBullmqSettings, redisConnection } from './config';
import type { ChatJobData, ChatJobResult } from './processor';

async function main(): Promise<void> {
  const settings = readBullmqSettings(process.env);
  const queue = new Queue<ChatJobData, ChatJobResult>(settings.BULLMQ_QUEUE, {
    connection: redisConnection(settings),
    prefix: settings.BULLMQ_PREFIX,
  });
  await queue.waitUntilReady();
  const app = createBullmqApp(queue, settings);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(settings.PORT, settings.HOST, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  console.log(`bullmq baseline API listening on http://${settings.HOST}:${port}`);
  const stop = () => {
    server.close();
    server.closeIdleConnections();
    void queue.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
