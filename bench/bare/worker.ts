/**
 * Worker of the bare ceiling (workflow + no-op activity in one process): BARE_TEMPORAL_ADDRESS,
 * BARE_NAMESPACE, BARE_TASK_QUEUE.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { z } from 'zod';

const env = z
  .object({
    BARE_TEMPORAL_ADDRESS: z.string().min(1),
    BARE_NAMESPACE: z.string().min(1).default('default'),
    BARE_TASK_QUEUE: z.string().min(1),
  })
  .parse(process.env);

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: env.BARE_TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: env.BARE_NAMESPACE,
    taskQueue: env.BARE_TASK_QUEUE,
    workflowsPath: require.resolve('./bare-workflow'),
    activities: { noop: () => Promise.resolve(Date.now()) },
  });
  console.log('bare worker polling');
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
