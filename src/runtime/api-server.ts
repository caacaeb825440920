import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { createApp } from '../api/app';
import type { AppConfig } from '../config';

/** A listening API server. */
export interface ApiServerHandle {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish within the grace, then closes the rest. */
  close(): Promise<void>;
}

/** Starts the HTTP API on the configured host and port (port 0 = ephemeral). */
export async function startApiServer(deps: {
  client: Client;
  config: AppConfig;
  logger: Logger;
}): Promise<ApiServerHandle> {
  const app = createApp(deps);
  const server = createServer(app);
  // Keep-alive longer than typical load balancers' idle timeout avoids racing connection reuse.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.http.port, deps.config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = deps.config.http.host === '0.0.0.0' ? '127.0.0.1' : deps.config.http.host;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(
          () => server.closeAllConnections(),
          deps.config.http.shutdownGraceMs,
        );
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
