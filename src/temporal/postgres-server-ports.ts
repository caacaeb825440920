import net from 'node:net';

/**
 * Ports the PostgreSQL-backed server opens, as offsets from its frontend port (see the templates
 * in deploy/temporal-postgres: frontend, history, matching, worker gRPC and membership ports).
 */
const DERIVED_PORT_OFFSETS = [0, 1, 2, 6, 10, 90, 100, 101, 102, 106];

/** True if nothing listens on 127.0.0.1:port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      probe.close(() => resolve(true)),
    );
  });
}

/**
 * A frontend port for a throwaway PostgreSQL-backed server (tests, benchmarks) whose derived
 * ports are all free too, below 32768: the server stores membership ports in a PostgreSQL
 * smallint.
 */
export async function freePostgresServerBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(DERIVED_PORT_OFFSETS.map((offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range for the Temporal server');
}
