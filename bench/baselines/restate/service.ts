/**
 * Entry point of the Restate baseline's service process (the deployment restate-server invokes):
 * `node dist/bench-build/bench/baselines/restate/service.js`. It serves the chat workflow over
 * HTTP/2 on RESTATE_SERVICE_PORT; the bench registers it with the server's admin API.
 */
import './node20-shim';
import * as restate from '@restatedev/restate-sdk';
import { createChatWorkflow } from './chat-workflow';
import { readRestateSettings } from './config';

async function main(): Promise<void> {
  const settings = readRestateSettings(process.env);
  const port = await restate.serve({
    services: [createChatWorkflow(settings)],
    port: settings.RESTATE_SERVICE_PORT,
  });
  console.log(`restate baseline service listening on port ${port}`);
  const stop = () => process.exit(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
