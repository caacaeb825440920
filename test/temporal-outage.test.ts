/**
 * Temporal server outage: the server is SIGKILLed mid-load and restarted on the same database
 * file. While it is down every endpoint answers 503 with Retry-After and a JSON error within the
 * configured Temporal RPC timeout + 1 s (never a hang or a 500); afterwards
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

/** The configured bound on one request's Temporal calls. */
const RPC_TIMEOUT_MS = 1_500;

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
    env: { TEMPORAL_RPC_TIMEOUT_MS: String(RPC_TIMEOUT_MS) },
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

  // Every endpoint that needs Temporal answers 503 with Retry-After and a JSON error, within
  // the contract: the configured Temporal RPC timeout + 1 s, whatever calls the request makes
  // (one deadline per request). The elapsed time is checked as that upper bound plus 1 s of
  // slack for a loaded machine: a contract, not a benchmark.
  const bound = RPC_TIMEOUT_MS + 1_000 + 1_000;
  const endpoints: [string, RequestInit?][] = [
    [
      '/chat',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'outage-user', message: 'while down' }),
      },
    ],
    [
      '/chat',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ user_id: 'outage-user', message: 'while down', tools: true }),
      },
    ],
    [
      '/chat',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'outage-user', message: 'hi', conversation_id: 'down' }),
      },
    ],
    [`/chat/${slow.body.job_id}`],
    [`/chat/${slow.body.job_id}`, { method: 'DELETE' }],
    ['/queues'],
    ['/conversations/down?user_id=outage-user'],
    ['/readyz'],
  ];
  for (const [route, init] of endpoints) {
    const began = Date.now();
    const res = await requestJson<{ error?: unknown; message?: unknown }>(
      `${s.apiUrl}${route}`,
      init,
    );
    const elapsed = Date.now() - began;
    const what = `${init?.method ?? 'GET'} ${route}`;
    expect({ what, status: res.status }).toEqual({ what, status: 503 });
    expect(typeof res.body.error).toBe('string');
    expect(typeof res.body.message).toBe('string');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect({ what, elapsed: elapsed <= bound }).toEqual({ what, elapsed: true });
  }
  // Usage lives in PostgreSQL (the test stack's store), not in Temporal: it still answers.
  const usageBegan = Date.now();
  const usage = await requestJson<{ user_id: string }>(`${s.apiUrl}/users/outage-user/usage`);
  expect(usage.status).toBe(200);
  expect(usage.body.user_id).toBe('outage-user');
  expect(Date.now() - usageBegan).toBeLessThanOrEqual(bound);
  const read = await requestJson<{ error: string }>(`${s.apiUrl}/chat/${slow.body.job_id}`);
  expect(read.body.error).toBe('unavailable');

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
