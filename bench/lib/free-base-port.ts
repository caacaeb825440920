import net from 'node:net';

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
 * A frontend port for the PostgreSQL-backed server whose derived ports are free too, below 32768
 * (the server stores membership ports in a PostgreSQL smallint).
 */
export async function freeServerBasePort(): Promise<number> {
  const offsets = [0, 1, 2, 6, 10, 90, 100, 101, 102, 106];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(offsets.map((offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range for the Temporal server');
}
