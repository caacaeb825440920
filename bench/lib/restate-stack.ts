/**
 * The Restate peer baseline as processes on this machine: restate-server (free ports, data in a
 * temporary directory), one service process (the registered deployment), the API and its own fake
 * Claude. Restate routes a service to one deployment URL, so more than one service process would
 * need a load balancer in front; the bench runs one and says so.
 */
import path from 'node:path';
import { ManagedProcess } from '../../src/stack/managed-process';
import { distEntryPoint } from '../../src/stack/project-root';
import { getFreePort } from '../../src/temporal/free-port';
import {
  registerDeployment,
  startRestateServer,
  type RestateServer,
} from '../baselines/restate/restate-server';

/** Options of {@link startRestateStack}. */
export interface RestateStackOptions {
  fakeEnv?: Record<string, string>;
}

/** A running baseline. */
export interface RestateStack {
  apiUrl: string;
  fakeUrl: string;
  server: RestateServer;
  api: ManagedProcess;
  fake: ManagedProcess;
  /** The service process (one; see the module comment). */
  workers: ManagedProcess[];
  startWorker(worker: ManagedProcess): Promise<void>;
  close(): Promise<void>;
}

/** Starts the baseline; resolves once the deployment is registered and the API answers. */
export async function startRestateStack(options: RestateStackOptions = {}): Promise<RestateStack> {
  const here = path.join(__dirname, '..', 'baselines', 'restate');
  const server = await startRestateServer();
  const fakePort = await getFreePort();
  const fake = new ManagedProcess({
    name: 'restate-fake-claude',
    script: distEntryPoint('fake-claude'),
    env: { ...process.env, ...options.fakeEnv, FAKE_CLAUDE_PORT: String(fakePort) },
  });
  const [apiPort, servicePort] = [await getFreePort(), await getFreePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    RESTATE_INGRESS_URL: server.ingressUrl,
    RESTATE_SERVICE_PORT: String(servicePort),
    // The SDK logs every invocation at INFO; warnings and errors are enough here.
    RESTATE_LOGGING: 'WARN',
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${fakePort}`,
  };
  delete env.ANTHROPIC_API_KEY;
  const api = new ManagedProcess({
    name: 'restate-api',
    script: path.join(here, 'server.js'),
    env,
  });
  const service = new ManagedProcess({
    name: 'restate-service',
    script: path.join(here, 'service.js'),
    env,
  });
  const startWorker = async (worker: ManagedProcess) => {
    worker.clearOutput();
    worker.start();
    await worker.waitForOutput(/service listening/, 60_000);
  };
  const close = async () => {
    await Promise.all([api, fake, service].map((p) => p.stop(5_000)));
    await server.close();
  };
  try {
    fake.start();
    api.start();
    await fake.waitForOutput(/listening/, 30_000);
    await api.waitForOutput(/listening/, 30_000);
    await startWorker(service);
    await registerDeployment(server.adminUrl, `http://127.0.0.1:${servicePort}`);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    fakeUrl: `http://127.0.0.1:${fakePort}`,
    server,
    api,
    fake,
    workers: [service],
    startWorker,
    close,
  };
}
