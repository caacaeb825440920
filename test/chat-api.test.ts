/**
 * The REST contract against a real Temporal server with no workers: validation, status codes,
 * and proof that a rejected request starts no workflow.
 */
import { randomUUID } from 'node:crypto';
import { postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ workers: false, env: { MAX_MESSAGE_CHARS: '1000' } });
});

afterAll(async () => {
  await stack.close();
});

/** Workflows started on this stack's queue (the dev server's visibility is immediate). */
async function workflowsStarted(): Promise<number> {
  const { count } = await stack.client.workflow.count(
    `TaskQueue = '${stack.config.taskQueues.workflows}'`,
  );
  return count;
}

describe('POST /chat validation', () => {
  const cases: {
    name: string;
    body: string;
    contentType?: string;
    status: number;
    field?: string;
  }[] = [
    {
      name: 'missing user_id',
      body: JSON.stringify({ message: 'hi' }),
      status: 400,
      field: 'user_id',
    },
    {
      name: 'missing message',
      body: JSON.stringify({ user_id: 'u1' }),
      status: 400,
      field: 'message',
    },
    {
      name: 'blank message',
      body: JSON.stringify({ user_id: 'u1', message: '   ' }),
      status: 400,
      field: 'message',
    },
    {
      name: 'numeric user_id',
      body: JSON.stringify({ user_id: 42, message: 'hi' }),
      status: 400,
      field: 'user_id',
    },
    {
      name: 'user_id with spaces',
      body: JSON.stringify({ user_id: 'a b', message: 'hi' }),
      status: 400,
      field: 'user_id',
    },
    {
      name: 'priority 0',
      body: JSON.stringify({ user_id: 'u1', message: 'hi', priority: 0 }),
      status: 400,
      field: 'priority',
    },
    {
      name: 'priority "urgent"',
      body: JSON.stringify({ user_id: 'u1', message: 'hi', priority: 'urgent' }),
      status: 400,
      field: 'priority',
    },
    { name: 'array body', body: JSON.stringify([1, 2]), status: 400, field: '(body)' },
    { name: 'malformed JSON', body: '{"user_id": "u1", "message": ', status: 400, field: '(body)' },
    { name: 'JSON scalar', body: '"hello"', status: 400, field: '(body)' },
    {
      name: 'message over the configured maximum',
      body: JSON.stringify({ user_id: 'u1', message: 'x'.repeat(1001) }),
      status: 413,
      field: 'message',
    },
    {
      name: 'body over 1 MiB',
      body: JSON.stringify({ user_id: 'u1', message: 'x'.repeat(1024 * 1024 + 10) }),
      status: 413,
    },
    { name: 'text/plain content type', body: 'hello', contentType: 'text/plain', status: 415 },
    {
      name: 'form content type',
      body: 'user_id=u1&message=hi',
      contentType: 'application/x-www-form-urlencoded',
      status: 415,
    },
  ];

  it.each(cases)('$name → $status', async ({ body, contentType, status, field }) => {
    const res = await requestJson<{
      error: string;
      message: string;
      details?: { field: string; message: string }[];
    }>(`${stack.apiUrl}/chat`, {
      method: 'POST',
      headers: { 'content-type': contentType ?? 'application/json' },
      body,
    });
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe('string');
    expect(typeof res.body.message).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(js|ts):\d+/); // no stack traces
    if (field) expect(res.body.details?.map((d) => d.field)).toContain(field);
  });

  it('started no workflow for any rejected request, and does start one for a valid request', async () => {
    expect(await workflowsStarted()).toBe(0);
    const accepted = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'u1',
      message: 'hello',
    });
    expect(accepted.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while ((await workflowsStarted()) < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await workflowsStarted()).toBe(1);
  });
});

describe('POST /chat accepted', () => {
  it.each([
    [1, 1],
    ['high', 1],
    [2, 2],
    ['medium', 2],
    [3, 3],
    ['normal', 3],
    [undefined, 3],
  ])(
    'priority %p is stored as %p and the answer matches the contract',
    async (priority, expected) => {
      const before = Date.now();
      const res = await postJson<{ job_id: string; status: string; submitted_at: string }>(
        `${stack.apiUrl}/chat`,
        {
          user_id: 'contract-user',
          message: 'What is 2 + 2?',
          ...(priority === undefined ? {} : { priority }),
        },
      );
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('queued');
      expect(res.body.job_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('location')).toBe(`/chat/${res.body.job_id}`);
      expect(Date.parse(res.body.submitted_at)).toBeGreaterThanOrEqual(before - 1000);

      // No worker is running: the job stays queued and GET answers from the server alone.
      const job = await requestJson<JobBody>(`${stack.apiUrl}/chat/${res.body.job_id}`);
      expect(job.status).toBe(200);
      expect(job.body).toMatchObject({
        job_id: res.body.job_id,
        status: 'queued',
        priority: expected,
        user_id: 'contract-user',
        attempts: 0,
        submitted_at: res.body.submitted_at,
      });
    },
  );
});

describe('GET /chat/:job_id', () => {
  it('404 for an unknown job', async () => {
    const res = await requestJson<{ error: string }>(`${stack.apiUrl}/chat/${randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });

  it('400 naming job_id for a malformed id', async () => {
    const res = await requestJson<{ details: { field: string }[] }>(
      `${stack.apiUrl}/chat/not-a-job`,
    );
    expect(res.status).toBe(400);
    expect(res.body.details.map((d) => d.field)).toEqual(['job_id']);
  });
});

describe('service endpoints', () => {
  it('healthz and readyz', async () => {
    expect((await requestJson(`${stack.apiUrl}/healthz`)).status).toBe(200);
    const ready = await requestJson<{ status: string }>(`${stack.apiUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('openapi.json is generated from the validating schemas', async () => {
    const res = await requestJson<{
      openapi: string;
      paths: Record<string, unknown>;
      components: {
        schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
      };
    }>(`${stack.apiUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/chat', '/chat/{job_id}']),
    );
    // user_id is optional in the schema: with API keys it comes from the key (in open mode the
    // route requires it, as the "missing user_id" case above shows).
    expect(res.body.components.schemas.ChatRequest?.required).toEqual(['message']);
    expect(Object.keys(res.body.components.schemas.ChatRequest?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'user_id',
        'message',
        'priority',
        'timeout_s',
        'model',
        'max_tokens',
      ]),
    );
    expect(Object.keys(res.body.components.schemas.Job?.properties ?? {})).toEqual(
      expect.arrayContaining(['job_id', 'status', 'attempts', 'priority', 'submitted_at']),
    );
  });

  it('unknown routes answer a JSON 404', async () => {
    const res = await requestJson<{ error: string }>(`${stack.apiUrl}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});
