/**
 * Completion webhooks on the real stack: a real HTTP receiver gets each finished job, signed per
 * Standard Webhooks and verified here with the `standardwebhooks` package; Temporal retries a
 * failing receiver; the SSRF guard refuses URLs outside the allowed prefixes; a cancelled job
 * still announces itself; and a job without `callback_url` costs exactly what it did before.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { webhookWorkflowId } from '../src/shared';
import { pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface WebhookJob extends JobBody {
  webhook?: { status: string; attempts: number; last_error?: string };
}

const secret = `whsec_${randomBytes(32).toString('base64')}`;
let stack: TestStack;
let receiver: Server;
let hooksUrl: string;
const received: Received[] = [];
/** Per path: how many more requests answer 500 before it answers 200. */
const failuresLeft = new Map<string, number>();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '';
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      received.push({ path, headers, body });
      const left = failuresLeft.get(path) ?? 0;
      if (left > 0) failuresLeft.set(path, left - 1);
      res.statusCode = left > 0 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hooksUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await startTestStack({
    env: { WEBHOOK_ALLOWED_URL_PREFIXES: `${hooksUrl}/`, WEBHOOK_SECRET: secret },
  });
});

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** Waits (generously) until the receiver got `count` requests on `path`. */
async function deliveries(path: string, count: number, timeoutMs = 60_000): Promise<Received[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = received.filter((r) => r.path === path);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`${path}: ${got.length} of ${count} deliveries`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Events and workflow tasks of a closed workflow's history. */
async function cost(workflowId: string): Promise<{ events: number; wfts: number }> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const wfts = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  return { events: events.length, wfts };
}

const verify = (r: Received) => new Webhook(secret).verify(r.body, r.headers) as WebhookJob;

it('POSTs the finished job, signed so that standardwebhooks verifies it', async () => {
  const path = '/hooks/delivered';
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'hook-user',
    message: 'What is 2 + 2?',
    callback_url: `${hooksUrl.replace('/hooks', '')}${path}`,
  });
  expect(res.status).toBe(202);
  const jobId = res.body.job_id;
  const [delivery] = await deliveries(path, 1);
  const payload = verify(delivery!);
  expect(payload).toMatchObject({ job_id: jobId, status: 'completed', user_id: 'hook-user' });
  expect(typeof payload.response).toBe('string');
  expect(delivery!.headers['webhook-id']).toBe(`${jobId}~final`);
  // A tampered body fails verification: the signature covers it.
  expect(() => new Webhook(secret).verify(`${delivery!.body} `, delivery!.headers)).toThrow();

  const job = await pollUntil<WebhookJob>(
    `${stack.apiUrl}/chat/${jobId}`,
    (j) => j.webhook?.status === 'delivered',
  );
  expect(job.status).toBe('completed');
  expect(job.webhook).toEqual({ status: 'delivered', attempts: 1 });
  // The job: the plain job's 11 events and 2 workflow tasks, plus the child's start (initiated,
  // started) and the workflow task that sees it started. The delivery: a one-activity workflow.
  expect(await cost(jobId)).toEqual({ events: 16, wfts: 3 });
  expect(await cost(webhookWorkflowId(jobId))).toEqual({ events: 11, wfts: 2 });
});

it('is retried by Temporal after the receiver answers 500 twice, with one webhook-id', async () => {
  const path = '/hooks/flaky';
  failuresLeft.set(path, 2);
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'hook-user',
    message: 'Hello',
    callback_url: `${hooksUrl.replace('/hooks', '')}${path}`,
  });
  expect(res.status).toBe(202);
  const job = await pollUntil<WebhookJob>(
    `${stack.apiUrl}/chat/${res.body.job_id}`,
    (j) => j.webhook?.status === 'delivered',
  );
  expect(job.webhook).toEqual({ status: 'delivered', attempts: 3 });
  const got = await deliveries(path, 3);
  expect(got).toHaveLength(3);
  expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(
    new Set([`${res.body.job_id}~final`]),
  );
  for (const r of got) expect(verify(r).status).toBe('completed');
});

it('refuses a callback_url outside the allowed prefixes with a 400 naming the field', async () => {
  for (const url of [
    'http://169.254.169.254/latest/meta-data/',
    `${hooksUrl}-evil/x`,
    'ftp://127.0.0.1/hooks/x',
  ]) {
    const res = await postJson<{ details?: { field: string; message: string }[] }>(
      `${stack.apiUrl}/chat`,
      { user_id: 'hook-user', message: 'Hi', callback_url: url },
    );
    expect(res.status).toBe(400);
    expect(res.body.details?.[0]?.field).toBe('callback_url');
  }
});

it("delivers a cancelled job's webhook", async () => {
  const path = '/hooks/cancelled';
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'hook-user',
    message: 'Take your time [[fake latency_ms=20000]]',
    callback_url: `${hooksUrl}/cancelled`,
  });
  expect(res.status).toBe(202);
  const jobId = res.body.job_id;
  await pollUntil<WebhookJob>(`${stack.apiUrl}/chat/${jobId}`, (j) => j.status === 'processing');
  const cancelled = await requestJson<WebhookJob>(`${stack.apiUrl}/chat/${jobId}`, {
    method: 'DELETE',
  });
  expect([200, 202]).toContain(cancelled.status);
  const [delivery] = await deliveries(path, 1);
  expect(verify(delivery!)).toMatchObject({ job_id: jobId, status: 'cancelled' });
  const job = await pollUntil<WebhookJob>(
    `${stack.apiUrl}/chat/${jobId}`,
    (j) => j.webhook?.status === 'delivered',
  );
  expect(job.status).toBe('cancelled');
});

it('delivers the webhook of an agent job', async () => {
  const path = '/hooks/agent';
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'hook-user',
    message: 'What is 25 * 17?',
    tools: true,
    callback_url: `${hooksUrl}/agent`,
  });
  expect(res.status).toBe(202);
  const [delivery] = await deliveries(path, 1);
  const payload = verify(delivery!);
  expect(payload).toMatchObject({ job_id: res.body.job_id, status: 'completed' });
  expect(Array.isArray((payload as { steps?: unknown }).steps)).toBe(true);
});

it('costs a job without callback_url exactly what it cost before: 11 events, 2 WFTs', async () => {
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'hook-user',
    message: 'No webhook please',
  });
  const job = await pollUntil<WebhookJob>(
    `${stack.apiUrl}/chat/${res.body.job_id}`,
    (j) => j.status === 'completed',
  );
  expect(job.webhook).toBeUndefined();
  await stack.client.workflow.getHandle(res.body.job_id).result();
  expect(await cost(res.body.job_id)).toEqual({ events: 11, wfts: 2 });
});
