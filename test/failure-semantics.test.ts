/**
 * Failure semantics against the real stack: every row of the error table, retry-after, live
 * attempt/error reporting, cancellation that aborts the HTTP call, idempotency keys, per-job
 * deadlines and oversized replies. The fake Claude scripts each failure for real.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { MAX_RESPONSE_CHARS: '1000', JOB_DEADLINE_MS: '600000', CLAUDE_MAX_ATTEMPTS: '5' },
  });
});

afterAll(async () => {
  await stack.close();
});

async function submit(
  message: string,
  directive: string,
  extra: Record<string, unknown> = {},
): Promise<{ jobId: string; key: string }> {
  const key = randomUUID();
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'failure-user',
    message: `${message} [[fake key=${key} ${directive}]]`,
    ...extra,
  });
  expect(res.status).toBe(202);
  return { jobId: res.body.job_id, key };
}

const finished = (jobId: string) =>
  pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 60_000);

/** Waits until the fake has seen `count` calls for `key`. */
async function waitForCalls(key: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (stack.fake.callsForKey(key).length < count) {
    if (Date.now() > deadline) throw new Error(`fake never saw ${count} call(s) for ${key}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('error classification: one attempt, then a clear failure', () => {
  it.each([
    ['400', 'ClaudeInvalidRequest'],
    ['401', 'ClaudeAuthentication'],
    ['403', 'ClaudePermissionDenied'],
    ['404', 'ClaudeInvalidRequest'],
    ['413', 'ClaudeInvalidRequest'],
    ['422', 'ClaudeInvalidRequest'],
    ['spend', 'ClaudeSpendLimit'],
  ])('fail=%s → failed after 1 attempt as %s', async (step, type) => {
    const { jobId, key } = await submit('Hello', `fail=${step}`);
    const job = await finished(jobId);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error?.type).toBe(type);
    expect(job.error?.message.length).toBeGreaterThan(0);
    expect(job.error?.message).not.toMatch(/\n\s+at /);
    expect(stack.fake.callsForKey(key)).toHaveLength(1);
  });
});

describe('error classification: retried, then completed', () => {
  it.each(['408', '409', '429', '500', '502', '503', '529', 'reset', 'stream_error'])(
    'fail=%s → completed on attempt 2',
    async (step) => {
      const { jobId, key } = await submit('What is 9 * 9?', `fail=${step}`);
      const job = await finished(jobId);
      expect(job.status).toBe('completed');
      expect(job.response).toContain('81');
      expect(job.attempts).toBe(2);
      const calls = stack.fake.callsForKey(key);
      expect(calls).toHaveLength(2);
      expect(calls.filter((call) => call.completed)).toHaveLength(1);
    },
  );

  it('529 with retry-after waits as long as Claude asked', async () => {
    const { jobId, key } = await submit('What is 2 * 3?', 'fail=529:2');
    const job = await finished(jobId);
    expect(job.status).toBe('completed');
    const [first, second] = stack.fake.callsForKey(key);
    expect(Date.parse(second!.at) - Date.parse(first!.at)).toBeGreaterThanOrEqual(1900);
  });

  it('gives up after CLAUDE_MAX_ATTEMPTS and reports the last error', async () => {
    const { jobId, key } = await submit('Hello', 'fail=500,500,500,500,500,500,500,500');
    const job = await finished(jobId);
    expect(job.status).toBe('failed');
    expect(job.error?.type).toBe('ClaudeServerError');
    expect(job.attempts).toBe(stack.config.claude.policy.maxAttempts);
    expect(stack.fake.callsForKey(key)).toHaveLength(stack.config.claude.policy.maxAttempts);
  });
});

it('GET shows the attempt count and last error while a job waits to retry', async () => {
  const { jobId, key } = await submit('What is 4 * 4?', 'fail=429:3');
  await waitForCalls(key, 1);
  const during = await pollUntil<JobBody>(
    `${stack.apiUrl}/chat/${jobId}`,
    (job) => job.error !== undefined,
    10_000,
  );
  expect(during.status).toBe('processing');
  expect(during.attempts).toBe(1);
  expect(during.error?.type).toBe('ClaudeRateLimited');
  const job = await finished(jobId);
  expect(job.status).toBe('completed');
  expect(job.error).toBeUndefined();
  expect(job.attempts).toBe(2);
});

describe('cancellation', () => {
  it('DELETE aborts the in-flight model call and the job ends cancelled with no response', async () => {
    const { jobId, key } = await submit('Tell me a very long story.', 'tps=4');
    await waitForCalls(key, 1);
    const res = await requestJson<JobBody>(`${stack.apiUrl}/chat/${jobId}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    expect(res.body.response).toBeUndefined();
    const call = stack.fake.callsForKey(key)[0]!;
    expect(call.aborted).toBe(true);
    expect(call.completed).toBe(false);
    const view = await requestJson<JobBody>(`${stack.apiUrl}/chat/${jobId}`);
    expect(view.body.status).toBe('cancelled');
    expect(view.body.response).toBeUndefined();
  });

  it('cancelling a finished job is a 409, an unknown job a 404', async () => {
    const { jobId } = await submit('What is 1 + 1?', '');
    await finished(jobId);
    const again = await requestJson<{ error: string }>(`${stack.apiUrl}/chat/${jobId}`, {
      method: 'DELETE',
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('job_finished');
    const unknown = await requestJson(`${stack.apiUrl}/chat/${randomUUID()}`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
  });
});

describe('idempotency keys', () => {
  const post = (userId: string, key: string, message: string) =>
    requestJson<{ job_id: string; status: string; error?: string }>(`${stack.apiUrl}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ user_id: userId, message }),
    });

  it('the same key and body return the same job and start nothing new', async () => {
    const idem = randomUUID();
    const message = `What is 12 * 12? [[fake key=${idem}]]`;
    const first = await post('idem-user', idem, message);
    const second = await post('idem-user', idem, message);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.job_id).toBe(first.body.job_id);
    const job = await finished(first.body.job_id);
    expect(job.response).toContain('144');
    const third = await post('idem-user', idem, message);
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ job_id: first.body.job_id, status: 'completed' });
    expect(stack.fake.callsForKey(idem)).toHaveLength(1);
  });

  it('the same key with a different body is a 409', async () => {
    const idem = randomUUID();
    expect((await post('idem-user', idem, 'first body')).status).toBe(202);
    const conflict = await post('idem-user', idem, 'second body');
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe('idempotency_key_conflict');
  });

  it('keys are scoped per user', async () => {
    const idem = randomUUID();
    const a = await post('user-a', idem, 'same text');
    const b = await post('user-b', idem, 'same text');
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.job_id).not.toBe(b.body.job_id);
  });

  it('rejects a malformed key naming the header', async () => {
    const res = await requestJson<{ details: { field: string }[] }>(`${stack.apiUrl}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(300) },
      body: JSON.stringify({ user_id: 'u', message: 'hi' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d) => d.field)).toEqual(['idempotency-key']);
  });
});

describe('deadlines', () => {
  it('timeout_s ends a hanging job as failed with a deadline error and aborts the call', async () => {
    const { jobId, key } = await submit('Hang please', 'fail=hang', { timeout_s: 2 });
    const job = await finished(jobId);
    expect(job.status).toBe('failed');
    expect(job.error?.type).toBe('JobDeadlineExceeded');
    // The worker learns of the timeout on its next heartbeat and aborts the HTTP request.
    const deadline = Date.now() + 15_000;
    while (!stack.fake.callsForKey(key)[0]?.aborted && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stack.fake.callsForKey(key)[0]?.aborted).toBe(true);
  });

  it('timeout_s above the configured cap is a 400 naming the field', async () => {
    const res = await postJson<{ details: { field: string }[] }>(`${stack.apiUrl}/chat`, {
      user_id: 'u',
      message: 'hi',
      timeout_s: 601,
    });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d) => d.field)).toEqual(['timeout_s']);
  });
});

it('truncates a reply over MAX_RESPONSE_CHARS and flags it instead of failing', async () => {
  const long = 'word '.repeat(400).trim();
  const { jobId } = await submit('Say it', `reply="${long}"`);
  const job = await finished(jobId);
  expect(job.status).toBe('completed');
  expect(job.response).toHaveLength(1000);
  expect((job as JobBody & { truncated?: boolean }).truncated).toBe(true);
});

describe('overload fallback: after N 529s in a row, the call moves to the fallback model', () => {
  const FALLBACK = 'claude-fallback-test';
  let fb: TestStack;

  beforeAll(async () => {
    fb = await startTestStack({
      env: { CLAUDE_FALLBACK_MODEL: FALLBACK, CLAUDE_FALLBACK_AFTER_OVERLOADED: '2' },
    });
  });

  afterAll(async () => {
    await fb.close();
  });

  async function run(body: Record<string, unknown>, directive: string) {
    const key = randomUUID();
    const res = await postJson<JobBody & { model?: string; model_fallback?: boolean }>(
      `${fb.apiUrl}/chat?wait=30s`,
      {
        user_id: 'fallback-user',
        ...body,
        message: `${String(body.message)} [[fake key=${key} ${directive}]]`,
      },
    );
    expect(res.status).toBe(200);
    return { job: res.body, models: fb.fake.callsForKey(key).map((c) => c.model) };
  }

  it('moves a chat job to the fallback after two 529s and stays there; the view says so', async () => {
    const primary = fb.config.claude.model.model;
    const { job, models } = await run({ message: 'What is 2 * 5?' }, 'fail=529,529,529');
    expect(models).toEqual([primary, primary, FALLBACK, FALLBACK]);
    expect(job).toMatchObject({
      status: 'completed',
      model: FALLBACK,
      model_fallback: true,
      attempts: 4,
    });
  });

  it('counts only consecutive 529s: another answer in between keeps the requested model', async () => {
    const primary = fb.config.claude.model.model;
    const { job, models } = await run({ message: 'What is 3 * 5?' }, 'fail=529,500,529');
    expect(models).toEqual([primary, primary, primary, primary]);
    expect(job.status).toBe('completed');
    expect(job.model).toBe(primary);
    expect(job.model_fallback).toBeUndefined();
  });

  it('moves an agent model call to the fallback too, visible in its step', async () => {
    const { job, models } = await run({ message: 'Hello there', tools: true }, 'fail=529,529');
    expect(models.slice(2)).toEqual([FALLBACK]);
    const steps = (job as JobBody & { steps?: { type: string; model?: string }[] }).steps;
    expect(steps?.[0]).toMatchObject({ type: 'model_call', model: FALLBACK });
  });
});
