/**
 * Idempotency-Key on every job kind, through the one submission path: agent jobs and
 * conversation turns answer a retry with the original job and `submitted_at`, another body under
 * the same key with 409, and a plain and an agent job with the same key never share an id.
 */
import { randomUUID } from 'node:crypto';
import { requestJson } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

interface Accepted {
  job_id: string;
  status: string;
  submitted_at: string;
  error?: string;
}

const post = (key: string, body: Record<string, unknown>) =>
  requestJson<Accepted>(`${stack.apiUrl}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ user_id: 'idem-kinds', ...body }),
  });

describe('agent jobs', () => {
  it('the same key and body return the original job and submitted_at', async () => {
    const key = randomUUID();
    const body = { message: `What is 6 * 7? [[fake key=${key}]]`, tools: true };
    const first = await post(key, body);
    const second = await post(key, body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.job_id).toBe(first.body.job_id);
    expect(second.body.submitted_at).toBe(first.body.submitted_at);
  });

  it('the same key with another body is a 409', async () => {
    const key = randomUUID();
    expect((await post(key, { message: 'first body', tools: true })).status).toBe(202);
    const conflict = await post(key, { message: 'second body', tools: true });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe('idempotency_key_conflict');
  });

  it('a plain and an agent job with the same key are two jobs', async () => {
    const key = randomUUID();
    const plain = await post(key, { message: 'same text' });
    const agent = await post(key, { message: 'same text', tools: true });
    expect(plain.status).toBe(202);
    expect(agent.status).toBe(202);
    expect(agent.body.job_id).not.toBe(plain.body.job_id);
  });
});

describe('conversation turns', () => {
  it('the same key and body return the original turn and submitted_at', async () => {
    const key = randomUUID();
    const body = { message: `Hello [[fake key=${key}]]`, conversation_id: `c-${key}` };
    const first = await post(key, body);
    const second = await post(key, body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.job_id).toBe(first.body.job_id);
    expect(second.body.submitted_at).toBe(first.body.submitted_at);
  });

  it('the same key with another body is a 409', async () => {
    const key = randomUUID();
    const conversation = `c-${key}`;
    expect((await post(key, { message: 'first', conversation_id: conversation })).status).toBe(202);
    const conflict = await post(key, { message: 'second', conversation_id: conversation });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe('idempotency_key_conflict');
  });
});
