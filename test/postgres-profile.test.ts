/**
 * The production profile on this machine: the full Temporal server (v1.29.1) on the local
 * PostgreSQL, with the API and workers as separate processes pointed at it by TEMPORAL_ADDRESS.
 * A batch of chat jobs runs while the Temporal server is SIGKILLed mid-load and restarted on the
 * same databases; every accepted job must complete, exactly once (one workflow execution, one
 * result), with its right answer, and jobs not in flight at the crash reach the model only once.
 *
 * Needs the server binaries that `.ci/run` builds (`node dist/bin/install-temporal-server.js`)
 * and PostgreSQL on TEMPORAL_PG_HOST:TEMPORAL_PG_PORT (default 127.0.0.1:5432); without either it
 * fails, saying which — CI machines have both, so a skip would only hide a broken profile.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeClaude, type FakeClaudeServer } from '../src/fake-claude';
import { SEARCH_ATTRIBUTES } from '../src/shared/constants';
import { getFreePort } from '../src/temporal/free-port';
import { freePostgresServerBasePort } from '../src/temporal/postgres-server-ports';
import {
  readPostgresProfileSettings,
  type PostgresProfileSettings,
} from '../src/temporal/postgres-profile-settings';
import {
  assertPostgresReachable,
  dropTemporalDatabases,
  setupTemporalSchema,
} from '../src/temporal/postgres-schema';
import {
  startPostgresTemporalServer,
  type PostgresServerHandle,
} from '../src/temporal/postgres-server';
import {
  ensureTemporalServerBinaries,
  type TemporalServerBinaries,
} from '../src/temporal/temporal-server-binary';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { isAlive, killAllSpawned, spawnEntryPoint, type SpawnedProcess } from './helpers/processes';

const projectRoot = path.resolve(__dirname, '..');
const log = (line: string): void => {
  process.stderr.write(`[postgres-profile] ${line}\n`);
};

let binaries: TemporalServerBinaries;
let settings: PostgresProfileSettings;
let server: PostgresServerHandle | undefined;
let fake: FakeClaudeServer;
let apiUrl: string;
let workerHealthUrls: string[] = [];
let processes: SpawnedProcess[] = [];
const userId = `pg-user-${randomBytes(4).toString('hex')}`;

function startServer(): Promise<PostgresServerHandle> {
  return startPostgresTemporalServer({
    serverPath: binaries.serverPath,
    projectRoot,
    settings,
    searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    log,
  });
}

beforeAll(async () => {
  binaries = await ensureTemporalServerBinaries({
    projectRoot,
    env: process.env,
    log,
    allowBuild: false,
  });
  const suffix = randomBytes(4).toString('hex');
  settings = readPostgresProfileSettings({
    ...process.env,
    TEMPORAL_PG_DATABASE: `af_test_${suffix}`,
    TEMPORAL_PG_VISIBILITY_DATABASE: `af_test_${suffix}_vis`,
    TEMPORAL_PG_FRONTEND_PORT: String(await freePostgresServerBasePort()),
  });
  await assertPostgresReachable(settings);
  await setupTemporalSchema({ sqlToolPath: binaries.sqlToolPath, settings, log });
  server = await startServer();
  fake = await startFakeClaude({});

  const apiPort = await getFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    ANTHROPIC_BASE_URL: fake.url,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    WORKFLOW_TASK_QUEUE: `pg-wf-${suffix}`,
    ACTIVITY_TASK_QUEUE: `pg-claude-${suffix}`,
    TOOL_TASK_QUEUE: `pg-tools-${suffix}`,
    CLAUDE_INITIAL_RETRY_MS: '200',
    CLAUDE_MAX_RETRY_MS: '2000',
    CLAUDE_HEARTBEAT_TIMEOUT_MS: '3000',
    WORKER_SHUTDOWN_GRACE_MS: '2000',
  };
  const healthPorts = await Promise.all([getFreePort(), getFreePort(), getFreePort()]);
  workerHealthUrls = healthPorts.map((port) => `http://127.0.0.1:${port}`);
  processes = [
    spawnEntryPoint('api', [], env),
    spawnEntryPoint('worker', ['--role=workflows'], {
      ...env,
      WORKER_HEALTH_PORT: String(healthPorts[0]),
    }),
    spawnEntryPoint('worker', ['--role=activities'], {
      ...env,
      WORKER_HEALTH_PORT: String(healthPorts[1]),
    }),
    spawnEntryPoint('worker', ['--role=activities'], {
      ...env,
      WORKER_HEALTH_PORT: String(healthPorts[2]),
    }),
  ];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  await Promise.all(processes.slice(1).map((p) => p.waitForOutput(/worker polling/)));
  await pollUntil(`${apiUrl}/readyz`, () => true, 30_000);
});

afterAll(async () => {
  killAllSpawned();
  await server?.stop();
  await fake?.close();
  if (binaries && settings)
    await dropTemporalDatabases({ sqlToolPath: binaries.sqlToolPath, settings });
});

interface Submitted {
  jobId: string;
  key: string;
  expected: string;
}

/** Submits "What is n * 3?" with a unique fake key; each model call takes ~1.5 s. */
async function submit(n: number): Promise<Submitted> {
  const key = randomUUID();
  const res = await postJson<{ job_id: string }>(`${apiUrl}/chat`, {
    user_id: userId,
    message: `What is ${n} * 3? [[fake key=${key} latency_ms=1500]]`,
  });
  if (res.status !== 202) {
    throw new Error(
      `POST /chat answered ${res.status} ${JSON.stringify(res.body)}; API output:\n${processes[0]?.output().slice(-4000)}`,
    );
  }
  return { jobId: res.body.job_id, key, expected: `${n} * 3 = ${n * 3}` };
}

it('completes every accepted job exactly once across a SIGKILL and restart of Temporal', async () => {
  const jobs: Submitted[] = [];
  for (let n = 1; n <= 10; n += 1) jobs.push(await submit(n));
  // Let the first wave get going, then put a second wave in flight and crash the server.
  await pollUntil<JobBody>(`${apiUrl}/chat/${jobs[0]!.jobId}`, isFinished, 30_000);
  for (let n = 11; n <= 20; n += 1) jobs.push(await submit(n));
  const inFlight = () => fake.calls().filter((call) => !call.completed).length;
  const deadline = Date.now() + 10_000;
  while (inFlight() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(inFlight()).toBeGreaterThan(0);

  const killedAt = Date.now();
  const crashed = server!;
  const crashedPid = crashed.pid!;
  log(`SIGKILL Temporal server pid ${crashedPid} with ${inFlight()} model calls in flight`);
  await crashed.kill('SIGKILL');
  expect(isAlive(crashedPid)).toBe(false);
  // While Temporal is down the API answers 503 instead of accepting work it cannot record.
  const during = await postJson(`${apiUrl}/chat`, { user_id: userId, message: 'hello' });
  expect(during.status).toBe(503);
  await new Promise((r) => setTimeout(r, 2_000));
  server = await startServer();
  log(`restarted Temporal server as pid ${server.pid ?? '?'}`);

  const restartedAt = Date.now();
  // Model calls that were running (or had just finished, their result not yet recorded) when the
  // server died may run again: activities are at-least-once, and a result the server never
  // recorded is retried. Everything else must reach the model exactly once.
  const exposedSince = killedAt - 1_500 /* latency_ms */ - 1_500; /* margin */
  const exposed = new Set(
    fake
      .calls()
      .filter((call) => {
        const at = Date.parse(call.at);
        return at >= exposedSince && at <= restartedAt;
      })
      .map((call) => call.key),
  );
  // The API's connection reconnects with backoff: wait for readiness (a client would honour the
  // 503's Retry-After) before submitting the last wave.
  await pollUntil(`${apiUrl}/readyz`, () => true, 30_000, 250);
  for (let n = 21; n <= 25; n += 1) jobs.push(await submit(n));
  for (const job of jobs) {
    const view = await pollUntil<JobBody>(`${apiUrl}/chat/${job.jobId}`, isFinished, 90_000);
    expect({ job: job.jobId, status: view.status }).toEqual({
      job: job.jobId,
      status: 'completed',
    });
    expect(view.response).toContain(job.expected);
    const succeeded = fake.callsForKey(job.key).filter((call) => call.completed).length;
    if (exposed.has(job.key)) expect([1, 2]).toContain(succeeded);
    else expect({ job: job.jobId, succeeded }).toEqual({ job: job.jobId, succeeded: 1 });
  }

  // Exactly one workflow execution per accepted job (none duplicated, none lost), as recorded
  // in Temporal's visibility store on PostgreSQL.
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: server.namespace });
    const query = `${SEARCH_ATTRIBUTES.userId.name} = "${userId}" AND ExecutionStatus = "Completed"`;
    let count = 0;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      count = (await client.workflow.count(query)).count;
      if (count >= jobs.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(count).toBe(jobs.length);
    expect(
      (await client.workflow.count(`${SEARCH_ATTRIBUTES.userId.name} = "${userId}"`)).count,
    ).toBe(jobs.length);
  } finally {
    await connection.close();
  }

  // Every worker process survived the outage and its probe says so.
  for (const url of workerHealthUrls) {
    expect((await requestJson(`${url}/healthz`)).status).toBe(200);
    expect((await requestJson(`${url}/readyz`)).status).toBe(200);
  }
  expect(processes.every((p) => p.child.exitCode === null)).toBe(true);
});
