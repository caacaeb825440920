/**
 * The BullMQ peer baseline (bench/baselines/bullmq) keeps our REST contract on the same fake
 * Claude: POST → 202 {job_id, status, submitted_at} with Location, GET → the job view with the
 * answer, 400 naming the field, 404 for an unknown job. Needs Redis on 127.0.0.1:6379.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { createBullmqApp } from '../bench/baselines/bullmq/app';
import { readBullmqSettings, redisConnection } from '../bench/baselines/bullmq/config';
import {
  createChatProcessor,
  RetryAfterError,
  retryAfterBackoff,
  type ChatJobData,
  type ChatJobResult,
} from '../bench/baselines/bullmq/processor';
import { bullmqWorkerOptions } from '../bench/baselines/bullmq/worker-options';
import { deleteKeysWithPrefix } from '../bench/baselines/bullmq/redis-keys';
import { startFakeClaude, type FakeClaudeServer } from '../src/fake-claude';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';

let fake: FakeClaudeServer;
let queue: Queue<ChatJobData, ChatJobResult>;
let worker: Worker<ChatJobData, ChatJobResult>;
let server: Server;
let url: string;
const prefix = `aftest-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  fake = await startFakeClaude({});
  const settings = readBullmqSettings({
    BULLMQ_PREFIX: prefix,
    ANTHROPIC_BASE_URL: fake.url,
    BULLMQ_BACKOFF_MS: '100',
  });
  queue = new Queue(settings.BULLMQ_QUEUE, { connection: redisConnection(settings), prefix });
  worker = new Worker(settings.BULLMQ_QUEUE, createChatProcessor(settings), {
    ...bullmqWorkerOptions(settings),
    concurrency: 10,
  });
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  const app = createBullmqApp(queue, settings);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await new Promise((resolve) => server?.close(resolve));
  await fake?.close();
  await deleteKeysWithPrefix('127.0.0.1', 6379, prefix);
});

it('POST → 202 with the contract shape; GET → completed with the answer', async () => {
  const res = await postJson<{ job_id: string; status: string; submitted_at: string }>(
    `${url}/chat`,
    {
      user_id: 'alice',
      message: 'What is 25 * 17?',
      priority: 'high',
    },
  );
  expect(res.status).toBe(202);
  expect(res.body.status).toBe('queued');
  expect(res.body.job_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(Number.isNaN(Date.parse(res.body.submitted_at))).toBe(false);
  expect(res.headers.get('location')).toBe(`/chat/${res.body.job_id}`);
  const job = await pollUntil<JobBody>(`${url}/chat/${res.body.job_id}`, isFinished, 30_000);
  expect(job).toMatchObject({ status: 'completed', user_id: 'alice', priority: 1, attempts: 1 });
  expect(job.response).toContain('25 * 17 = 425');
  expect(job.usage?.output_tokens).toBeGreaterThan(0);
  expect(Date.parse(job.started_at!)).toBeGreaterThanOrEqual(Date.parse(job.submitted_at));
  expect(Date.parse(job.completed_at!)).toBeGreaterThanOrEqual(Date.parse(job.started_at!));
});

it('retries a 500 with backoff and fails a 400 at once', async () => {
  const retried = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'bob',
    message: `What is 6 * 7? [[fake fail=500 key=${randomUUID()}]]`,
  });
  const ok = await pollUntil<JobBody>(`${url}/chat/${retried.body.job_id}`, isFinished, 30_000);
  expect(ok).toMatchObject({ status: 'completed', attempts: 2 });
  const bad = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'bob',
    message: `nope [[fake fail=400 key=${randomUUID()}]]`,
  });
  const failed = await pollUntil<JobBody>(`${url}/chat/${bad.body.job_id}`, isFinished, 30_000);
  expect(failed.status).toBe('failed');
  expect(failed.attempts).toBe(1);
});

it("retries a 429 after the model's retry-after, like our activity", async () => {
  const res = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'carol',
    message: `What is 3 * 4? [[fake fail=429:1 key=${randomUUID()}]]`,
  });
  const job = await pollUntil<JobBody>(`${url}/chat/${res.body.job_id}`, isFinished, 30_000);
  expect(job).toMatchObject({ status: 'completed', attempts: 2 });
});

it('backs off by retry-after when the failed call had one, else exponentially', () => {
  const job = { opts: { backoff: { type: 'retry-after', delay: 100 } } } as never;
  expect(retryAfterBackoff(3, 'retry-after', new RetryAfterError('429', 1_500), job)).toBe(1_500);
  expect(retryAfterBackoff(1, 'retry-after', new RetryAfterError('529', undefined), job)).toBe(100);
  expect(retryAfterBackoff(3, 'retry-after', new Error('socket hang up'), job)).toBe(400);
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
