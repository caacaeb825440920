/**
 * Authentication, object-level authorization, per-key rate limits and HTTP hardening against the
 * real API and Temporal: users only ever see their own jobs, and refusals start nothing.
 */
import { hashApiKey } from '../src/security/api-keys';
import { requestJson } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';
import { settledWorkflowCount } from './helpers/temporal';

const keys = {
  alice: 'af_alice_test_key_0123456789abcdef',
  bob: 'af_bob_test_key_0123456789abcdefgh',
  root: 'af_root_test_key_0123456789abcdefg',
};
const API_KEYS = [
  `${hashApiKey(keys.alice)}:alice:user`,
  `${hashApiKey(keys.bob)}:bob:user`,
  `${hashApiKey(keys.root)}:root:admin`,
].join(',');

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { API_KEYS, RATE_LIMIT_PER_KEY_RPS: '1000' } });
});

afterAll(async () => {
  await stack.close();
});

function call(path: string, key: string | undefined, init: RequestInit = {}) {
  return requestJson<Record<string, unknown>>(`${stack.apiUrl}${path}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

/** Workflows started on a stack's queue, once visibility has caught up with `expected`. */
function started(s: TestStack, expected: number): Promise<number> {
  return settledWorkflowCount(s.client, `TaskQueue = '${s.config.taskQueues.workflows}'`, expected);
}

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a malformed header', 'Basic abc'],
    ['an unknown key', 'Bearer af_nobody_0123456789abcdefghij'],
  ])('answers 401 with WWW-Authenticate for %s', async (_name, header) => {
    const res = await requestJson<{ error: string }>(`${stack.apiUrl}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
      body: JSON.stringify({ message: 'hi' }),
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  it('takes the user from the key, and refuses a different user_id with 403', async () => {
    const own = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ message: 'What is 2 + 2?' }),
    });
    expect(own.status).toBe(202);
    const view = await call(`/chat/${String(own.body.job_id)}`, keys.alice);
    expect(view.body.user_id).toBe('alice');
    expect((await call(`/chat/${String(own.body.job_id)}`, undefined)).status).toBe(401);
    const forged = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ user_id: 'bob', message: 'hi' }),
    });
    expect(forged.status).toBe(403);
    expect(JSON.stringify(forged.body)).toContain('user_id');
  });
});

describe('object-level authorization', () => {
  let aliceJob: string;

  beforeAll(async () => {
    const res = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ message: 'What is 6 * 7?' }),
    });
    expect(res.status).toBe(202);
    aliceJob = String(res.body.job_id);
  });

  it('lets the owner read the job', async () => {
    const deadline = Date.now() + 30_000;
    let view = await call(`/chat/${aliceJob}`, keys.alice);
    while (view.body.status !== 'completed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await call(`/chat/${aliceJob}`, keys.alice);
    }
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ user_id: 'alice', status: 'completed' });
  });

  it('answers 404 — not 403 — to another user reading or cancelling it', async () => {
    const read = await call(`/chat/${aliceJob}`, keys.bob);
    expect(read.status).toBe(404);
    const cancel = await call(`/chat/${aliceJob}`, keys.bob, { method: 'DELETE' });
    expect(cancel.status).toBe(404);
    expect((await call(`/chat/${aliceJob}`, keys.alice)).body.status).toBe('completed');
  });

  it('lets an admin read any job', async () => {
    const read = await call(`/chat/${aliceJob}`, keys.root);
    expect(read.status).toBe(200);
    expect(read.body.user_id).toBe('alice');
  });

  it('does not let another user cancel a running job', async () => {
    const res = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ message: 'Tell a long story [[fake tps=5]]' }),
    });
    const jobId = String(res.body.job_id);
    expect((await call(`/chat/${jobId}`, keys.bob, { method: 'DELETE' })).status).toBe(404);
    expect((await call(`/chat/${jobId}`, keys.alice)).body.status).not.toBe('cancelled');
    const cancelled = await call(`/chat/${jobId}`, keys.alice, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
  });
});

describe('HTTP hardening', () => {
  it('sends security headers, echoes request ids, and hides the framework', async () => {
    const res = await fetch(`${stack.apiUrl}/healthz`, { headers: { 'x-request-id': 'req-123' } });
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
    const generated = await fetch(`${stack.apiUrl}/healthz`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('per-key rate limit', () => {
  it('answers 429 with Retry-After past the burst and starts nothing for refused requests', async () => {
    const limited = await startTestStack({
      workers: false,
      env: { API_KEYS, RATE_LIMIT_PER_KEY_RPS: '0.2', RATE_LIMIT_PER_KEY_BURST: '3' },
    });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i += 1) {
        const res = await requestJson(`${limited.apiUrl}/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.bob}` },
          body: JSON.stringify({ message: `hello ${i}` }),
        });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(await started(limited, 3)).toBe(3);
      // Another key has its own allowance.
      const other = await requestJson(`${limited.apiUrl}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.alice}` },
        body: JSON.stringify({ message: 'hi' }),
      });
      expect(other.status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

describe('resource limits: model and token budget', () => {
  it('refuses a model the operator does not allow and a budget above the cap, naming the field', async () => {
    const model = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ message: 'hi', model: 'claude-opus-9-unlimited' }),
    });
    expect(model.status).toBe(400);
    expect(JSON.stringify(model.body)).toContain('"field":"model"');
    const budget = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ message: 'hi', max_tokens: stack.config.claude.model.maxTokens + 1 }),
    });
    expect(budget.status).toBe(400);
    expect(JSON.stringify(budget.body)).toContain('"field":"max_tokens"');
  });

  it('accepts an allowed model and a smaller budget', async () => {
    const res = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({
        message: 'What is 1 + 2?',
        model: stack.config.claude.model.model,
        max_tokens: 50,
      }),
    });
    expect(res.status).toBe(202);
  });
});

describe('ownership of conversations, event streams and usage', () => {
  let aliceTurn: string;
  const conversationId = `sec-${Date.now().toString(36)}`;

  beforeAll(async () => {
    const res = await call('/chat', keys.alice, {
      method: 'POST',
      body: JSON.stringify({ conversation_id: conversationId, message: 'What is 5 * 5?' }),
    });
    expect(res.status).toBe(202);
    aliceTurn = String(res.body.job_id);
    const deadline = Date.now() + 60_000;
    while ((await call(`/chat/${aliceTurn}`, keys.alice)).body.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('the conversation turn never completed');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('shows the conversation to its owner only', async () => {
    // The conversation records a finished turn just after the turn's own job finishes.
    let own = await call(`/conversations/${conversationId}`, keys.alice);
    const deadline = Date.now() + 10_000;
    while (!JSON.stringify(own.body).includes('"status":"completed"') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      own = await call(`/conversations/${conversationId}`, keys.alice);
    }
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).toContain('25');
    expect((await call(`/conversations/${conversationId}`, keys.bob)).status).toBe(404);
    const forged = await call(`/conversations/${conversationId}?user_id=alice`, keys.bob);
    expect(forged.status).toBe(403);
    const admin = await call(`/conversations/${conversationId}?user_id=alice`, keys.root);
    expect(admin.status).toBe(200);
  });

  it("answers 404 to another user's turn, its event stream and its cancel", async () => {
    expect((await call(`/chat/${aliceTurn}`, keys.bob)).status).toBe(404);
    const events = await fetch(`${stack.apiUrl}/chat/${aliceTurn}/events`, {
      headers: { authorization: `Bearer ${keys.bob}` },
    });
    expect(events.status).toBe(404);
    expect(await events.json()).toMatchObject({ error: 'not_found' });
    expect((await call(`/chat/${aliceTurn}`, keys.bob, { method: 'DELETE' })).status).toBe(404);
    const ownEvents = await fetch(`${stack.apiUrl}/chat/${aliceTurn}/events`, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    expect(ownEvents.status).toBe(200);
    expect(await ownEvents.text()).toContain('event: done');
  });

  it('shows usage totals to their user and admins only', async () => {
    expect((await call('/users/alice/usage', keys.alice)).status).toBe(200);
    expect((await call('/users/alice/usage', keys.bob)).status).toBe(404);
    expect((await call('/users/alice/usage', keys.root)).status).toBe(200);
    expect((await call('/users/alice/usage', undefined)).status).toBe(401);
  });
});
