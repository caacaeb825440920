/**
 * The DBOS Transact peer baseline (bench/baselines/dbos) keeps our REST contract on the same fake
 * Claude, on its own PostgreSQL database (created and dropped here): POST → 202, GET → the
 * answer, 400 naming the field, 404 for an unknown job; and a SIGKILLed worker process, restarted,
 * recovers its workflow, which completes with one successful model call.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { createDbosApp } from '../bench/baselines/dbos/app';
import { DBOS_APP_NAME, readDbosSettings } from '../bench/baselines/dbos/config';
import {
  createDbosDatabase,
  dropDbosDatabase,
  LOCAL_PG,
  readWriteCounters,
} from '../bench/baselines/dbos/database';
import type { ManagedProcess } from '../src/stack/managed-process';
import { startFakeClaude, type FakeClaudeServer } from '../src/fake-claude';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { tsEntryProcess } from './helpers/ts-entry';

const database = `af_dbos_test_${randomBytes(4).toString('hex')}`;
let fake: FakeClaudeServer;
let client: DBOSClient;
let worker: ManagedProcess;
let server: Server;
let url: string;

const startWorker = async () => {
  worker.clearOutput();
  worker.start();
  await worker.waitForOutput(/worker polling/, 90_000);
};

beforeAll(async () => {
  fake = await startFakeClaude({});
  const dbUrl = await createDbosDatabase(LOCAL_PG, database);
  const env = {
    DBOS_DATABASE_URL: dbUrl,
    ANTHROPIC_BASE_URL: fake.url,
    DBOS_RETRY_INTERVAL_MS: '100',
    DBOS_WORKER_CONCURRENCY: '10',
  };
  const settings = readDbosSettings(env);
  worker = tsEntryProcess('dbos-worker', 'bench/baselines/dbos/worker.ts', {
    ...process.env,
    ...env,
  });
  await startWorker();
  client = await DBOSClient.create({ systemDatabaseUrl: dbUrl, applicationName: DBOS_APP_NAME });
  const app = createDbosApp(client, settings);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await worker?.stop(5_000);
  await client?.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await fake?.close();
  await dropDbosDatabase(LOCAL_PG, database);
});

it('POST → 202 with the contract shape; GET → completed with the answer', async () => {
  const before = await readWriteCounters(LOCAL_PG, database);
  const res = await postJson<{ job_id: string; status: string; submitted_at: string }>(
    `${url}/chat`,
    { user_id: 'alice', message: 'What is 25 * 17?', priority: 'high' },
  );
  expect(res.status).toBe(202);
  expect(res.body.status).toBe('queued');
  expect(res.body.job_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get('location')).toBe(`/chat/${res.body.job_id}`);
  const job = await pollUntil<JobBody>(`${url}/chat/${res.body.job_id}`, isFinished, 60_000);
  expect(job).toMatchObject({ status: 'completed', user_id: 'alice', priority: 1, attempts: 1 });
  expect(job.response).toContain('25 * 17 = 425');
  expect(job.usage?.output_tokens).toBeGreaterThan(0);
  expect(Date.parse(job.started_at!)).toBeGreaterThanOrEqual(Date.parse(job.submitted_at));
  expect(Date.parse(job.completed_at!)).toBeGreaterThanOrEqual(Date.parse(job.started_at!));
  // The job's durable writes are rows of this database.
  const after = await readWriteCounters(LOCAL_PG, database);
  expect(after.walBytes).toBeGreaterThan(before.walBytes);
});

it('retries a 500 with the step retry policy and fails a 400 at once', async () => {
  const retried = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'bob',
    message: `What is 6 * 7? [[fake fail=500 key=${randomUUID()}]]`,
  });
  const ok = await pollUntil<JobBody>(`${url}/chat/${retried.body.job_id}`, isFinished, 60_000);
  expect(ok).toMatchObject({ status: 'completed', attempts: 2 });
  const bad = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'bob',
    message: `nope [[fake fail=400 key=${randomUUID()}]]`,
  });
  const failed = await pollUntil<JobBody>(`${url}/chat/${bad.body.job_id}`, isFinished, 60_000);
  expect(failed.status).toBe('failed');
});

it('400 names the field; 404 for an unknown job', async () => {
  const bad = await postJson<{ details: Array<{ field: string }> }>(`${url}/chat`, {
    user_id: 'has spaces',
    message: 'hi',
  });
  expect(bad.status).toBe(400);
  expect(bad.body.details.map((d) => d.field)).toContain('user_id');
  const missing = await requestJson(`${url}/chat/${randomUUID()}`);
  expect(missing.status).toBe(404);
});

it('a SIGKILLed worker, restarted, recovers the workflow: completed, one successful call', async () => {
  const key = randomUUID();
  // ~40 words at 8 tokens/s: the stream runs for seconds, long enough to kill mid-call.
  const res = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'crash-user',
    message: `Tell me a long story about durable execution. [[fake key=${key} tps=8]]`,
  });
  expect(res.status).toBe(202);
  await pollUntil(
    `${fake.url}/_fake/calls?key=${key}`,
    (b: { calls: unknown[] }) => b.calls.length === 1,
    60_000,
  );
  await worker.signal('SIGKILL');
  expect(worker.running()).toBe(false);
  await startWorker();
  const job = await pollUntil<JobBody>(`${url}/chat/${res.body.job_id}`, isFinished, 90_000);
  expect(job.status).toBe('completed');
  expect(job.response).toContain('You said');
  const calls = fake.callsForKey(key);
  expect(calls).toHaveLength(2);
  expect(calls.filter((call) => call.completed)).toHaveLength(1);
  expect(calls[0]!.completed).toBe(false);
});
