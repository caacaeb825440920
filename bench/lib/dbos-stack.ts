/**
 * The DBOS Transact peer baseline as processes on this machine: its API, N worker processes (each
 * its own DBOS executor id) and its own fake Claude, on the local PostgreSQL in a database of its
 * own, created with DBOS's schema at start and dropped on close.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ManagedProcess } from '../../src/stack/managed-process';
import { distEntryPoint } from '../../src/stack/project-root';
import { getFreePort } from '../../src/temporal/free-port';
import { createDbosDatabase, dropDbosDatabase, LOCAL_PG } from '../baselines/dbos/database';

/** Options of {@link startDbosStack}. */
export interface DbosStackOptions {
  workers: number;
  /** Workflows per worker process at once (the queue's workerConcurrency). */
  concurrency: number;
  fakeEnv?: Record<string, string>;
}

/** A running baseline. */
export interface DbosStack {
  apiUrl: string;
  fakeUrl: string;
  database: string;
  api: ManagedProcess;
  fake: ManagedProcess;
  workers: ManagedProcess[];
  startWorker(worker: ManagedProcess): Promise<void>;
  close(): Promise<void>;
}

/** Starts the baseline; resolves once the API answers and every worker dequeues. */
export async function startDbosStack(options: DbosStackOptions): Promise<DbosStack> {
  const here = path.join(__dirname, '..', 'baselines', 'dbos');
  const database = `af_bench_dbos_${randomBytes(4).toString('hex')}`;
  const dbUrl = await createDbosDatabase(LOCAL_PG, database);
  const fakePort = await getFreePort();
  const fake = new ManagedProcess({
    name: 'dbos-fake-claude',
    script: distEntryPoint('fake-claude'),
    env: { ...process.env, ...options.fakeEnv, FAKE_CLAUDE_PORT: String(fakePort) },
  });
  const apiPort = await getFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    DBOS_DATABASE_URL: dbUrl,
    DBOS_WORKER_CONCURRENCY: String(options.concurrency),
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${fakePort}`,
  };
  delete env.ANTHROPIC_API_KEY;
  const api = new ManagedProcess({ name: 'dbos-api', script: path.join(here, 'server.js'), env });
  const workers = Array.from(
    { length: options.workers },
    (_, i) =>
      new ManagedProcess({
        name: `dbos-worker-${i + 1}`,
        script: path.join(here, 'worker.js'),
        // Own executor id per process, kept across restarts: DBOS recovers by executor id.
        env: { ...env, DBOS_EXECUTOR_ID: `dbos-worker-${i + 1}` },
      }),
  );
  const startWorker = async (worker: ManagedProcess) => {
    worker.clearOutput();
    worker.start();
    await worker.waitForOutput(/worker polling/, 60_000);
  };
  const close = async () => {
    await Promise.all([api, fake, ...workers].map((p) => p.stop(5_000)));
    await dropDbosDatabase(LOCAL_PG, database).catch(() => undefined);
  };
  try {
    fake.start();
    api.start();
    await fake.waitForOutput(/listening/, 30_000);
    await api.waitForOutput(/listening/, 30_000);
    await Promise.all(workers.map(startWorker));
  } catch (err) {
    await close();
    throw err;
  }
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    fakeUrl: `http://127.0.0.1:${fakePort}`,
    database,
    api,
    fake,
    workers,
    startWorker,
    close,
  };
}
