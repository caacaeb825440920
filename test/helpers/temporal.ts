/**
 * Access to the Temporal server that test/global-setup.ts started (or found via TEMPORAL_ADDRESS)
 * for the whole jest run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';

/** Connection info of the test server, as written by the global setup. */
export interface TestTemporalInfo {
  /** `host:port` of the frontend. */
  address: string;
  namespace: string;
  /** Pid of the dev server, when the setup started one. */
  pid?: number;
  /** SQLite file of the dev server, so a test can restart a server on the same state. */
  dbFilename?: string;
  /** Temporal CLI used to start it (absent with TEMPORAL_ADDRESS). */
  binaryPath?: string;
}

/** Where the global setup writes {@link TestTemporalInfo}. */
export const TEST_TEMPORAL_STATE_FILE = path.join(__dirname, '..', '.tmp', 'temporal.json');

/**
 * Environment variable through which the global setup also hands the info to the test workers
 * (they are forked after it ran). Preferred over the file, which a second jest run started in the
 * same checkout at the same time would overwrite.
 */
export const TEST_TEMPORAL_ENV_VAR = 'AGENT_FLEET_TEST_TEMPORAL';

/** Connection info of the shared test server. */
export function testTemporal(): TestTemporalInfo {
  const fromEnv = process.env[TEST_TEMPORAL_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') return JSON.parse(fromEnv) as TestTemporalInfo;
  try {
    return JSON.parse(readFileSync(TEST_TEMPORAL_STATE_FILE, 'utf8')) as TestTemporalInfo;
  } catch (err) {
    const address = process.env.TEMPORAL_ADDRESS;
    if (address !== undefined && address !== '') {
      return { address, namespace: process.env.TEMPORAL_NAMESPACE || 'default' };
    }
    throw new Error(
      `No test Temporal server: ${TEST_TEMPORAL_STATE_FILE} is missing and TEMPORAL_ADDRESS is ` +
        'not set. Run the tests with jest (its globalSetup starts the server).',
      { cause: err },
    );
  }
}

/** A client on the test server's namespace; close `connection` in `afterAll`. */
export async function connectTestClient(): Promise<{ client: Client; connection: Connection }> {
  const { address, namespace } = testTemporal();
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), connection };
}

/**
 * A task queue name no other test file or jest worker uses, so workers of parallel tests never
 * steal each other's tasks on the shared server.
 */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * The number of workflows matching `query`, once visibility (eventually consistent) has caught up
 * with `expected`: polls until the count equals it or `timeoutMs` passes, then returns the last
 * count — so a test can assert exact equality without racing the index.
 */
export async function settledWorkflowCount(
  client: Client,
  query: string,
  expected: number,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = (await client.workflow.count(query)).count;
  while (count !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    count = (await client.workflow.count(query)).count;
  }
  return count;
}
