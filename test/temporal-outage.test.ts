/**
 * Temporal server outage: the server is SIGKILLed mid-load and restarted on the same database
 * file. While it is down the API answers 503 with Retry-After (never a hang or a 500); afterwards
 * the API and the workers reconnect by themselves and every accepted job completes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../src/temporal/dev-server';
import { getFreePort } from '../src/temporal/free-port';
import { ensureTemporalBinary } from '../src/temporal/temporal-binary';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';
import { testTemporal } from './helpers/temporal';

let tmp: string;
let server: DevServerHandle | undefined;
let stack: TestStack | undefined;
let serverOptions: Parameters<typeof startDevServer>[0];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'agent-fleet-outage-'));
  const binaryPath =
    testTemporal().binaryPath ??
    (await ensureTemporalBinary({
      projectRoot: path.resolve(__dirname, '..'),
      env: process.env,
      log: () => {},
    }));
  serverOptions = {
    binaryPath,
    port: await getFreePort(),
    uiPort: false,
    dbFilename: path.join(tmp, 'outage.sqlite'),
    reuseExisting: false,
    log: () => {},
  };
  server = await startDevServer(serverOptions);
  stack = await startTestStack({
    temporalAddress: server.address,
    env: { TEMPORAL_RPC_TIMEOUT_MS: '1500' },
  });
});

afterAll(async () => {
  await stack?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

it('keeps every accepted job through a kill -9 and restart of the Temporal server', async () => {
  const s = stack!;
  const jobs: { jobId: string; a: number; b: number }[] = [];
  for (let i = 0; i < 20; i += 1) {
    const a = 11 + i;
    const b = 3 + i;
    const res = await postJson<{ job_id: string }>(`${s.apiUrl}/chat`, {
      user_id: 'outage-user',
      message: `What is ${a} * ${b}? [[fake key=${randomUUID()} tps=10]]`,
    });
    expect(res.status).toBe(202);
    jobs.push({ jobId: res.body.job_id, a, b });
  }

  // One slow job is certainly still running when the server dies.
  const slow = await postJson<{ job_id: string }>(`${s.apiUrl}/chat`, {
    user_id: 'outage-user',
    message: `What is 7 * 8? Take your time. [[fake key=${randomUUID()} tps=2]]`,
  });
  expect(slow.status).toBe(202);
  jobs.push({ jobId: slow.body.job_id, a: 7, b: 8 });

  // Crash the server mid-load.
  process.kill(server!.pid!, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 500));

  const refused = await requestJson<{ error: string }>(`${s.apiUrl}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'outage-user', message: 'while down' }),
  });
  expect(refused.status).toBe(503);
  expect(refused.body.error).toBe('unavailable');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

  const read = await requestJson<{ error: string }>(`${s.apiUrl}/chat/${slow.body.job_id}`);
  expect(read.status).toBe(503);
  expect(read.body.error).toBe('unavailable');
  expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
  const ready = await requestJson(`${s.apiUrl}/readyz`);
  expect(ready.status).toBe(503);

  // Restart on the same database file; nobody restarts the API or the workers.
  server = await startDevServer(serverOptions);

  for (const job of jobs) {
    const view = await pollUntil<JobBody>(
      `${s.apiUrl}/chat/${job.jobId}`,
      isFinished,
      120_000,
      250,
    );
    expect(view.status).toBe('completed');
    expect(view.response).toContain(String(job.a * job.b));
  }
  const after = await postJson<{ job_id: string }>(`${s.apiUrl}/chat`, {
    user_id: 'outage-user',
    message: 'What is 2 + 2?',
  });
  expect(after.status).toBe(202);
  const done = await pollUntil<JobBody>(
    `${s.apiUrl}/chat/${after.body.job_id}`,
    isFinished,
    60_000,
  );
  expect(done.response).toContain('4');
});
