/** Entry point of the Restate baseline API process: `node dist/bench-build/bench/baselines/restate/server.js`. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestateApp } from './app';
import { readRestateSettings } from './config';

async function main(): Promise<void> {
  const settings = readRestateSettings(process.env);
  const app = createRestateApp(settings);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(settings.PORT, settings.HOST, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  console.log(`restate baseline API listening on http://${settings.HOST}:${port}`);
  const stop = () => {
    server.close();
    server.closeIdleConnections();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
