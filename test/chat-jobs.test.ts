/**
 * Chat jobs end to end on a real Temporal server: REST → workflow → Claude activity → poll,
 * with the fake Claude reached over HTTP by the real Anthropic SDK.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

/** Submits a message tagged with a unique fake-Claude key and returns the job id and key. */
async function submit(
  message: string,
  extraDirective = '',
  priority?: string,
): Promise<{ jobId: string; key: string }> {
  const key = randomUUID();
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'jobs-user',
    message: `${message} [[fake key=${key} ${extraDirective}]]`,
    ...(priority ? { priority } : {}),
  });
  expect(res.status).toBe(202);
  return { jobId: res.body.job_id, key };
}

const finished = (jobId: string) => pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished);

it('answers "What is 25 * 17?" with 425 after one model call', async () => {
  const { jobId, key } = await submit('What is 25 * 17?', '', 'high');
  const job = await finished(jobId);
  expect(job.status).toBe('completed');
  expect(job.response).toContain('425');
  expect(job.attempts).toBe(1);
  expect(job.priority).toBe(1);
  expect(job.usage?.input_tokens).toBeGreaterThan(0);
  expect(job.usage?.output_tokens).toBeGreaterThan(0);
  expect(Date.parse(job.started_at!)).toBeGreaterThanOrEqual(Date.parse(job.submitted_at));
  expect(Date.parse(job.completed_at!)).toBeGreaterThanOrEqual(Date.parse(job.started_at!));
  const calls = stack.fake.callsForKey(key);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.completed).toBe(true);
  expect(calls[0]!.stream).toBe(true);
});

it('retries 429 (honouring retry-after) and 500 under Temporal, then completes', async () => {
  const { jobId, key } = await submit('What is 6 * 7?', 'fail=429:1,500');
  const job = await finished(jobId);
  expect(job.status).toBe('completed');
  expect(job.response).toContain('42');
  expect(job.attempts).toBe(3);
  expect(stack.fake.callsForKey(key).map((call) => call.outcome)).toEqual([
    'rate_limited',
    'server_error',
    'ok',
  ]);
  // The retry after the 429 waited for retry-after (1 s), not the 100 ms initial interval.
  const [first, second] = stack.fake.callsForKey(key);
  expect(Date.parse(second!.at) - Date.parse(first!.at)).toBeGreaterThanOrEqual(900);
});

it('fails a job after one attempt on a non-retryable 400, with a clear error', async () => {
  const { jobId, key } = await submit('Say something', 'fail=400');
  const job = await finished(jobId);
  expect(job.status).toBe('failed');
  expect(job.attempts).toBe(1);
  expect(job.error?.type).toBe('ClaudeInvalidRequest');
  expect(job.error?.message).toMatch(/400/);
  expect(job.error?.message).not.toMatch(/\n\s+at /);
  expect(stack.fake.callsForKey(key)).toHaveLength(1);
});

it('answers GET while no worker is running, for finished and for waiting jobs', async () => {
  const done = await submit('What is 3 + 4?');
  await finished(done.jobId);
  await stack.stopWorkers();
  try {
    const finishedView = await requestJson<JobBody>(`${stack.apiUrl}/chat/${done.jobId}`);
    expect(finishedView.status).toBe(200);
    expect(finishedView.body.status).toBe('completed');
    expect(finishedView.body.response).toContain('7');

    const waiting = await submit('What is 5 + 5?');
    const view = await requestJson<JobBody>(`${stack.apiUrl}/chat/${waiting.jobId}`);
    expect(view.status).toBe(200);
    expect(view.body.status).toBe('queued');
    expect(stack.fake.callsForKey(waiting.key)).toHaveLength(0);
    // A second poll while workers are still away answers just the same.
    expect((await requestJson<JobBody>(`${stack.apiUrl}/chat/${waiting.jobId}`)).body.status).toBe(
      'queued',
    );

    await stack.startWorkers();
    const job = await finished(waiting.jobId);
    expect(job.response).toContain('10');
  } finally {
    await stack.startWorkers();
  }
});
