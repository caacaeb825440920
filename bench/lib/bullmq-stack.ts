/**
 * The BullMQ peer baseline as processes on this machine: its API, N workers and its own fake
 * Claude, on Redis 127.0.0.1:6379 under a unique key prefix that is deleted on close.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ManagedProcess } from '../../src/stack/managed-process';
import { distEntryPoint } from '../../src/stack/project-root';
import { getFreePort } from '../../src/temporal/free-port';
import { deleteKeysWithPrefix } from '../baselines/bullmq/redis-keys';

/** Options of {@link startBullmqStack}. */
export interface BullmqStackOptions {
  workers: number;
  /** Jobs per worker process at once. */
  concurrency: number;
  fakeEnv?: Record<string, string>;
  env?: Record<string, string>;
}

/** A running baseline. */
export interface BullmqStack {
  apiUrl: string;
  fakeUrl: string;
  prefix: string;
  api: ManagedProcess;
  fake: ManagedProcess;
  workers: ManagedProcess[];
  startWorker(worker: ManagedProcess): Promise<void>;
  close(): Promise<void>;
}

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;

/** Starts the baseline; resolves once the API answers and every worker polls. */
export async function startBullmqStack(options: BullmqStackOptions): Promise<BullmqStack> {
  const here = path.join(__dirname, '..', 'baselines', 'bullmq');
  const prefix = `afbench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const fakePort = await getFreePort();
  const fake = new ManagedProcess({
    name: 'bullmq-fake-claude',
    script: distEntryPoint('fake-claude'),
    env: { ...process.env, ...options.fakeEnv, FAKE_CLAUDE_PORT: String(fakePort) },
  });
  const apiPort = await getFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    BULLMQ_PREFIX: prefix,
    BULLMQ_REDIS_HOST: REDIS_HOST,
    BULLMQ_REDIS_PORT: String(REDIS_PORT),
    BULLMQ_CONCURRENCY: String(options.concurrency),
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${fakePort}`,
    ...options.env,
  };
  delete env.ANTHROPIC_API_KEY;
  const api = new ManagedProcess({ name: 'bullmq-api', script: path.join(here, 'server.js'), env });
  const workers = Array.from(
    { length: options.workers },
    (_, i) =>
      new ManagedProcess({
        name: `bullmq-worker-${i + 1}`,
        script: path.join(here, 'worker.js'),
        env,
      }),
  );
  const startWorker = async (worker: ManagedProcess) => {
    worker.clearOutput();
    worker.start();
    await worker.waitForOutput(/worker polling/, 30_000);
  };
  const close = async () => {
    await Promise.all([api, fake, ...workers].map((p) => p.stop(5_000)));
    await deleteKeysWithPrefix(REDIS_HOST, REDIS_PORT, prefix).catch(() => 0);
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
    prefix,
    api,
    fake,
    workers,
    startWorker,
    close,
  };
}
