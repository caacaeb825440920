/**
 * Runs one peer baseline alone, as the bench starts it, until Ctrl-C:
 * `npm run baseline -- dbos` or `npm run baseline -- restate` (or `bullmq`). Prints the API's URL
 * (our REST contract) and the fake Claude's; closing drops DBOS's database, stops restate-server
 * and removes its data directory, or deletes BullMQ's Redis keys.
 */
import { z } from 'zod';
import { startBullmqStack } from '../lib/bullmq-stack';
import { startDbosStack } from '../lib/dbos-stack';
import { startRestateStack } from '../lib/restate-stack';

const which = z.enum(['bullmq', 'dbos', 'restate']);

async function main(): Promise<void> {
  const arg = which.safeParse(process.argv[2]);
  if (!arg.success) {
    console.error('usage: npm run baseline -- <bullmq|dbos|restate>');
    process.exit(2);
  }
  const stack =
    arg.data === 'dbos'
      ? await startDbosStack({ workers: 2, concurrency: 200 })
      : arg.data === 'restate'
        ? await startRestateStack()
        : await startBullmqStack({ workers: 2, concurrency: 200 });
  console.log(
    `${arg.data} baseline API on ${stack.apiUrl} (fake Claude ${stack.fakeUrl}); Ctrl-C stops it`,
  );
  const stop = () => {
    void stack.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
