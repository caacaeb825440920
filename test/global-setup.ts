/**
 * Jest global setup: provides one Temporal server for the whole test run.
 *
 * With TEMPORAL_ADDRESS set, that server is used as is (namespace TEMPORAL_NAMESPACE, default
 * `default`). Otherwise the Temporal CLI is found or built, and a headless dev server is started on
 * free ports with the project's search attributes and priority/fairness dynamic config. Its state
 * lives in a throwaway SQLite *file* (not in-memory) so tests can restart a server on it.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server';
import { getFreePort } from '../src/temporal/free-port';
import { ensureTemporalBinary } from '../src/temporal/temporal-binary';
import {
  TEST_TEMPORAL_ENV_VAR,
  TEST_TEMPORAL_STATE_FILE,
  type TestTemporalInfo,
} from './helpers/temporal';

/** What the teardown needs; jest runs setup and teardown in the same process and global scope. */
export interface GlobalTemporalState {
  server?: DevServerHandle;
  tempDir?: string;
  info: TestTemporalInfo;
}

/** Key on `globalThis` under which {@link GlobalTemporalState} is kept. */
export const GLOBAL_TEMPORAL_KEY = '__agentFleetTestTemporal';

const log = (line: string): void => {
  process.stderr.write(`[temporal] ${line}\n`);
};

export default async function globalSetup(): Promise<void> {
  const state = await provideServer();
  (globalThis as Record<string, unknown>)[GLOBAL_TEMPORAL_KEY] = state;

  const json = JSON.stringify(state.info, null, 2);
  process.env[TEST_TEMPORAL_ENV_VAR] = JSON.stringify(state.info);
  await fs.mkdir(path.dirname(TEST_TEMPORAL_STATE_FILE), { recursive: true });
  // Write-then-rename so a reader never sees a half-written file.
  const tmpFile = `${TEST_TEMPORAL_STATE_FILE}.${process.pid}.tmp`;
  await fs.writeFile(tmpFile, `${json}\n`);
  await fs.rename(tmpFile, TEST_TEMPORAL_STATE_FILE);
}

async function provideServer(): Promise<GlobalTemporalState> {
  const externalAddress = process.env.TEMPORAL_ADDRESS;
  if (externalAddress !== undefined && externalAddress !== '') {
    const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
    log(
      `Using the Temporal server at ${externalAddress} (namespace ${namespace}) from TEMPORAL_ADDRESS`,
    );
    return { info: { address: externalAddress, namespace } };
  }

  const projectRoot = path.resolve(__dirname, '..');
  const binaryPath = await ensureTemporalBinary({ projectRoot, env: process.env, log });
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-fleet-test-temporal-'));
  const dbFilename = path.join(tempDir, 'temporal.sqlite');
  try {
    const server = await startDevServer({
      binaryPath,
      port: await getFreePort(),
      uiPort: false,
      dbFilename,
      // A fresh free port never has a server on it; don't spend time probing.
      reuseExisting: false,
      log,
    });
    log(`Dev server for tests at ${server.address} (pid ${server.pid ?? '?'})`);
    return {
      server,
      tempDir,
      info: {
        address: server.address,
        namespace: server.namespace,
        pid: server.pid,
        dbFilename,
        binaryPath,
      },
    };
  } catch (err) {
    await fs.rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}
