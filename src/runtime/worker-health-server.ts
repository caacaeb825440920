import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';

/** Path of the liveness probe served by {@link startWorkerHealthServer}. */
export const WORKER_HEALTHZ_PATH = '/healthz';
/** Path of the readiness probe served by {@link startWorkerHealthServer}. */
export const WORKER_READYZ_PATH = '/readyz';
/** Default `WORKER_HEALTH_PORT` (the metrics endpoint uses 9464, so this sits next to it). */
export const DEFAULT_WORKER_HEALTH_PORT = 9465;

/** Options of {@link startWorkerHealthServer}. */
export interface WorkerHealthServerOptions {
  /** TCP port (0 = an ephemeral port, reported in the handle's `url`). */
  port: number;
  /** Interface to bind (WORKER_HEALTH_HOST): loopback, or `0.0.0.0` where the kubelet probes the pod IP. */
  host: string;
  /** The process's workers, read on every probe (the list may grow while starting). */
  workers: () => readonly Worker[];
  /** Reserved for the metrics work (a prom-client registry); unused by the probes themselves. */
  registry?: unknown;
}

/** A listening worker health server. */
export interface WorkerHealthServerHandle {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** States of a worker that will never poll again: the process must be restarted. */
const DEAD_STATES = new Set(['FAILED', 'STOPPED']);

/**
 * Summarises the workers' states. Live means "no worker has died": a worker whose `run()` failed
 * reports FAILED and one that stopped reports STOPPED, and either way the process is useless and
 * must be restarted — which is what a failing liveness probe makes Kubernetes do. A worker that is
 * draining after SIGTERM (STOPPING/DRAINING/DRAINED) still counts as live, so a probe never cuts a
 * graceful shutdown short. Ready needs at least one worker and all of them RUNNING (polling).
 */
export function workerHealth(workers: readonly Worker[]): {
  live: boolean;
  ready: boolean;
  states: string[];
} {
  const states = workers.map((worker) => worker.getState());
  return {
    live: !states.some((state) => DEAD_STATES.has(state)),
    ready: states.length > 0 && states.every((state) => state === 'RUNNING'),
    states,
  };
}

/**
 * Starts a tiny HTTP server for orchestrator probes of a worker process: `GET /healthz` answers
 * 200 while no worker is FAILED or STOPPED (INITIALIZED, RUNNING and draining all count as alive)
 * and 503 once one is; `GET /readyz` answers 200 once every worker is RUNNING. Plain `node:http` rather than
 * express because a worker needs nothing else, and the probe must keep answering while the event
 * loop is busy with activities.
 */
export async function startWorkerHealthServer(
  opts: WorkerHealthServerOptions,
): Promise<WorkerHealthServerHandle> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'method_not_allowed' }));
      return;
    }
    const health = workerHealth(opts.workers());
    let status: number;
    let body: Record<string, unknown>;
    if (path === WORKER_HEALTHZ_PATH) {
      status = health.live ? 200 : 503;
      body = { status: health.live ? 'ok' : 'failed', workers: health.states };
    } else if (path === WORKER_READYZ_PATH) {
      status = health.ready ? 200 : 503;
      body = { status: health.ready ? 'ready' : 'not_ready', workers: health.states };
    } else {
      status = 404;
      body = { error: 'not_found' };
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  // Probes must never keep a draining worker process alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
