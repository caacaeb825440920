import net from 'node:net';

/**
 * Asks the OS for a currently unused TCP port on `host`.
 *
 * The port is released again before this resolves, so another process could in theory grab it
 * before the caller binds it; the OS hands out ephemeral ports round-robin, which makes that
 * window harmless in practice for tests and local dev servers.
 *
 * @param host - Interface to probe; defaults to the loopback address the dev server binds.
 * @returns A port number that was free a moment ago.
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    // Never let this probe keep the event loop alive.
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close((closeErr) => {
        if (closeErr) {
          reject(closeErr);
        } else if (address !== null && typeof address === 'object') {
          resolve(address.port);
        } else {
          reject(new Error(`Could not determine a free port on ${host}`));
        }
      });
    });
  });
}
