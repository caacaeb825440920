/** Entry point of the DBOS baseline API process: `node dist/bench-build/bench/baselines/dbos/server.js`. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { createDbosApp } from './app';
import { DBOS_APP_NAME, readDbosSettings } from './config';

async function main(): Promise<void> {
  const settings = readDbosSettings(process.env);
  const client = await DBOSClient.create({
    systemDatabaseUrl: settings.DBOS_DATABASE_URL,
    applicationName: DBOS_APP_NAME,
  });
  const app = createDbosApp(client, settings);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(settings.PORT, settings.HOST, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  console.log(`dbos baseline API listening on http://${settings.HOST}:${port}`);
  const stop = () => {
    server.close();
    server.closeIdleConnections();
    void client.destroy().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
