/**
 * The Restate peer baseline (bench/baselines/restate) keeps our REST contract on the same fake
 * Claude, with restate-server (from the npm package) started here on free ports with its data in a
 * temporary directory, and the service deployment registered through the admin API: POST → 202,
 * GET → the answer, 400 naming the field, 404 for an unknown job; and a SIGKILLed service process,
 * restarted, lets the invocation complete with one successful model call.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestateApp } from '../bench/baselines/restate/app';
import { CHAT_WORKFLOW, readRestateSettings } from '../bench/baselines/restate/config';
import {
  journalEntries,
  registerDeployment,
  startRestateServer,
  type RestateServer,
} from '../bench/baselines/restate/restate-server';
import { startFakeClaude, type FakeClaudeServer } from '../src/fake-claude';
import type { ManagedProcess } from '../src/stack/managed-process';
import { getFreePort } from '../src/temporal/free-port';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { tsEntryProcess } from './helpers/ts-entry';

let fake: FakeClaudeServer;
let restate: RestateServer;
let service: ManagedProcess;
let server: Server;
let url: string;

const startService = async () => {
  service.clearOutput();
  service.start();
  await service.waitForOutput(/service listening/, 90_000);
};

beforeAll(async () => {
  fake = await startFakeClaude({});
  restate = await startRestateServer();
  const servicePort = await getFreePort();
  const env = {
    RESTATE_INGRESS_URL: restate.ingressUrl,
    RESTATE_SERVICE_PORT: String(servicePort),
    ANTHROPIC_BASE_URL: fake.url,
    RESTATE_RETRY_INTERVAL_MS: '100',
  };
  service = tsEntryProcess('restate-service', 'bench/baselines/restate/service.ts', {
    ...process.env,
    ...env,
  });
  await startService();
  await registerDeployment(restate.adminUrl, `http://127.0.0.1:${servicePort}`);
  const app = createRestateApp(readRestateSettings(env));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  await service?.stop(5_000);
  await new Promise((resolve) => server?.close(resolve));
  await fake?.close();
  const dir = restate?.dataDir;
  await restate?.close();
  if (dir) expect(existsSync(dir)).toBe(false);
});

it('POST → 202 with the contract shape; GET → completed with the answer', async () => {
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
  // The job's journal is readable through the admin API's introspection.
  const journal = await journalEntries(restate.adminUrl, CHAT_WORKFLOW, [res.body.job_id]);
  expect(journal.entries).toBeGreaterThan(0);
  process.stdout.write(`[restate-baseline] journal of one chat: ${JSON.stringify(journal)}\n`);
});

it('retries a 500 inside ctx.run and fails a 400 at once', async () => {
  const retried = await postJson<{ job_id: string }>(`${url}/chat`, {
    user_id: 'bob',
    message: `What is 6 * 7? [[fake fail=500 key=${randomUUID()}]]`,
  });
  const ok = await pollUntil<JobBody>(`${url}/chat/${retried.body.job_id}`, isFinished, 60_000);
  expect(ok.status).toBe('completed');
  expect(ok.response).toContain('42');
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

it('a SIGKILLed service, restarted, lets the invocation complete with one successful call', async () => {
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
  await service.signal('SIGKILL');
  expect(service.running()).toBe(false);
  await startService();
  const job = await pollUntil<JobBody>(`${url}/chat/${res.body.job_id}`, isFinished, 120_000);
  expect(job.status).toBe('completed');
  expect(job.response).toContain('You said');
  const calls = fake.callsForKey(key);
  expect(calls).toHaveLength(2);
  expect(calls.filter((call) => call.completed)).toHaveLength(1);
  expect(calls[0]!.completed).toBe(false);
});
