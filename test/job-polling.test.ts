/**
 * Polls without queries: a running plain chat job is answered from one describe (memo + pending
 * model call), never with a workflow query, and concurrent polls of one job share one describe.
 * An agent job still queries (its steps live only in the workflow). Counted on the wire: the
 * stack's interceptor sees every gRPC call the API's client sends.
 */
import { randomUUID } from 'node:crypto';
import { pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

const QUERY = 'QueryWorkflow';
const DESCRIBE = 'DescribeWorkflowExecution';

it('answers a running chat job from describe alone: processing, attempts, started_at, no query', async () => {
  const submitted = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'poll-user',
    message: `Take forever [[fake key=${randomUUID()} fail=hang]]`,
  });
  expect(submitted.status).toBe(202);
  const url = `${stack.apiUrl}/chat/${submitted.body.job_id}`;
  const queriesBefore = stack.grpcCalls(QUERY);
  const running = await pollUntil<JobBody>(url, (job) => job.status === 'processing', 30_000);
  expect(running.attempts).toBe(1);
  expect(Date.parse(running.started_at!)).toBeGreaterThanOrEqual(Date.parse(running.submitted_at));

  // Sequential polls while the model call hangs: each is one describe, none a query.
  for (let i = 0; i < 5; i += 1) {
    const res = await requestJson<JobBody>(url);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'processing', attempts: 1 });
    expect(res.body.started_at).toBe(running.started_at);
  }
  expect(stack.grpcCalls(QUERY)).toBe(queriesBefore);

  // Concurrent polls of the same job share one in-flight describe.
  const describesBefore = stack.grpcCalls(DESCRIBE);
  const burst = await Promise.all(Array.from({ length: 20 }, () => requestJson<JobBody>(url)));
  expect(burst.every((res) => res.status === 200 && res.body.status === 'processing')).toBe(true);
  expect(stack.grpcCalls(DESCRIBE) - describesBefore).toBeLessThan(20);
  expect(stack.grpcCalls(QUERY)).toBe(queriesBefore);

  const cancelled = await requestJson<JobBody>(url, { method: 'DELETE' });
  expect([200, 202]).toContain(cancelled.status);
});

it('still queries a running agent job, whose steps only the workflow knows', async () => {
  const submitted = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'poll-user',
    message: `Take forever [[fake key=${randomUUID()} fail=hang]]`,
    tools: true,
  });
  expect(submitted.status).toBe(202);
  const url = `${stack.apiUrl}/chat/${submitted.body.job_id}`;
  const queriesBefore = stack.grpcCalls(QUERY);
  const running = await pollUntil<JobBody & { steps?: unknown[] }>(
    url,
    (job) => job.status === 'processing',
    30_000,
  );
  expect(running.steps).toEqual([]);
  expect(stack.grpcCalls(QUERY)).toBeGreaterThan(queriesBefore);
  const cancelled = await requestJson<JobBody>(url, { method: 'DELETE' });
  expect([200, 202]).toContain(cancelled.status);
});
