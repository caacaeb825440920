/**
 * A whole Agent Fleet stack on this machine whose processes the caller controls one by one: the
 * Temporal dev server (or an external server), the fake Claude, the API, workflow workers and
 * activity workers, each its own OS process, started from the built entry points in dist/bin —
 * the same pieces `npm start` runs, but without its auto-restarting supervisor, because the chaos
 * runner and the benchmarks kill and restart processes on purpose.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  startDevServer,
  type DevServerHandle,
  type DevServerOptions,
} from '../temporal/dev-server';
import { getFreePort } from '../temporal/free-port';
import { ensureTemporalBinary } from '../temporal/temporal-binary';
import { withStreamSecret } from '../streaming/stream-auth';
import { ManagedProcess } from './managed-process';
import { distEntryPoint, findProjectRoot } from './project-root';
import { waitForHttpOk } from './wait-for-http';
import { localUsageDatabaseUrl } from '../usage/local-database';

/** Where Temporal comes from. */
export type StackTemporal =
  | {
      kind: 'dev';
      /** SQLite file; default a fresh temp file. */
      dbFile?: string;
      /** Expose the server's own Prometheus metrics (the bench reads them); default off. */
      metrics?: boolean;
      /** Dynamic config and pragmas instead of the launcher's (tuning A/B runs). */
      tuning?: Pick<DevServerOptions, 'dynamicConfig' | 'sqlitePragmas'>;
    }
  | { kind: 'external'; address: string; namespace: string };

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  temporal: StackTemporal;
  activityWorkers: number;
  /** Extra environment of the API and workers (e.g. MAX_CONCURRENT_CLAUDE_CALLS). */
  env?: Record<string, string>;
  /** FAKE_CLAUDE_* variables of the fake model process. */
  fakeEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** A running stack. */
export interface LocalStack {
  apiUrl: string;
  fakeUrl: string;
  temporalAddress: string;
  namespace: string;
  /** The dev server's Prometheus endpoint, when started with `metrics: true`. */
  temporalMetricsUrl?: string;
  /** Client on the stack's Temporal (histories for exactly-once checks). */
  client: Client;
  api: ManagedProcess;
  fake: ManagedProcess;
  workflowWorker: ManagedProcess;
  activityWorkers: ManagedProcess[];
  /** Environment given to the API and workers (task queues, ports, settings). */
  env: NodeJS.ProcessEnv;
  /** Pid of the dev server this stack started (undefined for an external server). */
  temporalPid(): number | undefined;
  /** (Re)starts a worker process and resolves once it polls (its /readyz answers 200). */
  startWorker(worker: ManagedProcess): Promise<void>;
  /** SIGKILLs the dev server (same db file is kept); dev servers only. */
  killTemporal(): Promise<void>;
  /** Starts the dev server again on the same port and db file. */
  restartTemporal(): Promise<void>;
  /** Pids of every process, by name. */
  pids(): Record<string, number | undefined>;
  /** Stops everything it started and removes its temp files. */
  close(): Promise<void>;
}

/** Starts the stack and resolves once the API is ready and every worker polls. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const projectRoot = findProjectRoot();
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-fleet-stack-'));
  const suffix = randomBytes(4).toString('hex');

  let devServer: DevServerHandle | undefined;
  let devPort = 0;
  const dbFile =
    options.temporal.kind === 'dev'
      ? (options.temporal.dbFile ?? path.join(tempDir, 'temporal.sqlite'))
      : undefined;
  let binaryPath = '';
  const metricsPort =
    options.temporal.kind === 'dev' && options.temporal.metrics ? await getFreePort() : undefined;
  const startDev = async () => {
    devServer = await startDevServer({
      binaryPath,
      port: devPort,
      uiPort: false,
      dbFilename: dbFile,
      metricsPort,
      reuseExisting: false,
      log,
      ...(options.temporal.kind === 'dev' ? options.temporal.tuning : {}),
    });
  };
  if (options.temporal.kind === 'dev') {
    binaryPath = await ensureTemporalBinary({ projectRoot, env: process.env, log });
    devPort = await getFreePort();
    await startDev();
  }
  const temporalAddress =
    options.temporal.kind === 'dev' ? devServer!.address : options.temporal.address;
  const namespace =
    options.temporal.kind === 'dev' ? devServer!.namespace : options.temporal.namespace;

  const fakePort = await getFreePort();
  const fake = new ManagedProcess({
    name: 'fake-claude',
    script: distEntryPoint('fake-claude'),
    env: {
      ...process.env,
      ...options.fakeEnv,
      FAKE_CLAUDE_PORT: String(fakePort),
      FAKE_CLAUDE_HOST: '127.0.0.1',
    },
  });
  fake.start();
  const fakeUrl = `http://127.0.0.1:${fakePort}`;

  const apiPort = await getFreePort();
  // The usage ledger as `npm start` picks it: PostgreSQL when set or listening locally.
  const usageDb = await localUsageDatabaseUrl({ ...process.env, ...options.env });
  const env: NodeJS.ProcessEnv = withStreamSecret({
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    ANTHROPIC_BASE_URL: fakeUrl,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    WORKFLOW_TASK_QUEUE: `stack-wf-${suffix}`,
    ACTIVITY_TASK_QUEUE: `stack-claude-${suffix}`,
    TOOL_TASK_QUEUE: `stack-tools-${suffix}`,
    // Many processes on one machine: no fixed metrics ports to collide on.
    METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS_PORT: '0',
    // Load and chaos runs come from one client address and one user: the API's per-caller
    // limits would measure themselves instead of the system (callers can override).
    RATE_LIMIT_PER_KEY_RPS: '0',
    USER_MAX_ACTIVE_JOBS: '1000000',
    ...(usageDb.url ? { USAGE_DATABASE_URL: usageDb.url } : {}),
    ...options.env,
  });
  delete env.ANTHROPIC_API_KEY;

  const api = new ManagedProcess({ name: 'api', script: distEntryPoint('api'), env });
  const healthPorts = new Map<ManagedProcess, number>();
  const newWorker = async (name: string, role: string) => {
    const port = await getFreePort();
    const worker = new ManagedProcess({
      name,
      script: distEntryPoint('worker'),
      args: [`--role=${role}`],
      env: { ...env, WORKER_HEALTH_PORT: String(port) },
    });
    healthPorts.set(worker, port);
    return worker;
  };
  const workflowWorker = await newWorker('worker-workflows', 'workflows');
  const activityWorkers: ManagedProcess[] = [];
  for (let i = 1; i <= options.activityWorkers; i += 1)
    activityWorkers.push(await newWorker(`worker-activities-${i}`, 'activities'));

  const startWorker = async (worker: ManagedProcess) => {
    worker.start();
    await waitForHttpOk(`http://127.0.0.1:${healthPorts.get(worker)}/readyz`, 90_000, worker);
  };

  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace });
  const all = () => [api, workflowWorker, ...activityWorkers, fake];
  const close = async () => {
    await Promise.all(all().map((p) => p.stop(5_000)));
    await connection.close().catch(() => undefined);
    await devServer?.stop();
    await fs.rm(tempDir, { recursive: true, force: true });
  };

  try {
    api.start();
    await waitForHttpOk(`${fakeUrl}/healthz`, 30_000, fake);
    await Promise.all([workflowWorker, ...activityWorkers].map(startWorker));
    await waitForHttpOk(`http://127.0.0.1:${apiPort}/readyz`, 60_000, api);
  } catch (err) {
    await close();
    throw err;
  }
  log(`stack ready: API http://127.0.0.1:${apiPort}, Temporal ${temporalAddress}, fake ${fakeUrl}`);

  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    fakeUrl,
    temporalAddress,
    namespace,
    ...(metricsPort !== undefined
      ? { temporalMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics` }
      : {}),
    client,
    api,
    fake,
    workflowWorker,
    activityWorkers,
    env,
    temporalPid: () => devServer?.pid,
    startWorker,
    async killTemporal() {
      const pid = devServer?.pid;
      if (pid === undefined) throw new Error('this stack did not start its Temporal server');
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`Temporal dev server ${pid} survived SIGKILL`);
    },
    async restartTemporal() {
      if (options.temporal.kind !== 'dev') throw new Error('not a dev server stack');
      await startDev();
    },
    pids: () => ({
      temporal: devServer?.pid,
      ...Object.fromEntries(all().map((p) => [p.spec.name, p.pid])),
    }),
    close,
  };
}
