import { connect } from 'node:net';

/** The usage database `npm start` uses when PostgreSQL listens on this machine's default port. */
export const LOCAL_USAGE_DATABASE_URL = 'postgres://127.0.0.1:5432/agent_fleet';

/** True when something accepts TCP connections on `host:port` within `timeoutMs`. */
export function acceptsConnections(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The usage database of the local stack: `USAGE_DATABASE_URL` when set, else the local
 * PostgreSQL when 127.0.0.1:5432 accepts a connection, else undefined (the ledger workflows).
 */
export async function localUsageDatabaseUrl(
  env: NodeJS.ProcessEnv,
): Promise<{ url?: string; source: 'env' | 'local' | 'none' }> {
  if (env.USAGE_DATABASE_URL) return { url: env.USAGE_DATABASE_URL, source: 'env' };
  if (await acceptsConnections('127.0.0.1', 5432)) {
    return { url: LOCAL_USAGE_DATABASE_URL, source: 'local' };
  }
  return { source: 'none' };
}
