/**
 * Double-texting on the real stack (fake Claude only): a message sent to a conversation while a
 * turn is running either waits (`enqueue`, the default), is refused (`reject`: 409 naming the
 * running job), or stops the running turn — its in-flight model call really aborted, as the fake's
 * call log shows — and runs next, the stopped turn kept and marked (`interrupt`) or removed
 * (`rollback`) in the transcript.
 */
import { randomUUID } from 'node:crypto';
import { pollUntil, postJson, requestJson } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

interface Turn {
  turn: number;
  job_id: string;
  status: string;
  message: string;
  response?: string;
  started_at?: string;
  completed_at?: string;
  interrupted?: boolean;
  interrupted_by?: string;
}
interface Conversation {
  turns: Turn[];
}
interface Accepted {
  job_id: string;
  status: string;
}
interface ErrorBody {
  error: string;
  details?: { field: string; message: string }[];
  running_job_id?: string;
}

const user = 'dt-user';
const newConversation = () => `dt-${randomUUID().slice(0, 8)}`;

function post(conversationId: string, message: string, onBusy?: string) {
  return postJson<Accepted & ErrorBody>(`${stack.apiUrl}/chat`, {
    user_id: user,
    conversation_id: conversationId,
    message,
    ...(onBusy !== undefined ? { on_busy: onBusy } : {}),
  });
}

function conversation(conversationId: string) {
  return pollUntil<Conversation>(
    `${stack.apiUrl}/conversations/${conversationId}?user_id=${user}`,
    () => true,
  );
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a turn whose model call hangs, and waits until that call is in flight at the fake. */
async function hangingTurn(conversationId: string): Promise<{ jobId: string; key: string }> {
  const key = `dt-${randomUUID()}`;
  const res = await post(conversationId, `Think about it forever [[fake fail=hang key=${key}]]`);
  expect(res.status).toBe(202);
  await until('the hanging call', () => stack.fake.callsForKey(key).length > 0);
  return { jobId: res.body.job_id, key };
}

async function finishedTurn(conversationId: string, jobId: string): Promise<Conversation> {
  const url = `${stack.apiUrl}/conversations/${conversationId}?user_id=${user}`;
  return pollUntil<Conversation>(url, (c) =>
    c.turns.some((t) => t.job_id === jobId && t.status === 'completed'),
  );
}

it('enqueue (the default) waits behind the running turn', async () => {
  const id = newConversation();
  const first = await post(id, 'First, slowly [[fake latency_ms=1500]]');
  const second = await post(id, 'Second', 'enqueue');
  expect([first.status, second.status]).toEqual([202, 202]);
  const c = await finishedTurn(id, second.body.job_id);
  const [a, b] = c.turns;
  expect(a).toMatchObject({ job_id: first.body.job_id, status: 'completed' });
  expect(b).toMatchObject({ job_id: second.body.job_id, status: 'completed' });
  expect(Date.parse(b!.started_at!)).toBeGreaterThanOrEqual(Date.parse(a!.completed_at!));
});

it('reject answers 409 naming on_busy and the running job, and changes nothing', async () => {
  const id = newConversation();
  const running = await hangingTurn(id);
  const res = await post(id, 'Are you there?', 'reject');
  expect(res.status).toBe(409);
  expect(res.body.error).toBe('conversation_busy');
  expect(res.body.details?.[0]?.field).toBe('on_busy');
  expect(res.body.running_job_id).toBe(running.jobId);
  const c = await conversation(id);
  expect(c.turns.map((t) => t.job_id)).toEqual([running.jobId]);
  // Clean up: the hanging turn is cancelled like any job.
  const del = await requestJson(`${stack.apiUrl}/chat/${running.jobId}`, { method: 'DELETE' });
  expect([200, 202]).toContain(del.status);
});

it('reject is accepted when nothing is running', async () => {
  const id = newConversation();
  const res = await post(id, 'Hello', 'reject');
  expect(res.status).toBe(202);
  await finishedTurn(id, res.body.job_id);
});

it('interrupt aborts the running model call, keeps the turn marked, and runs the new one', async () => {
  const id = newConversation();
  const running = await hangingTurn(id);
  const res = await post(id, 'Never mind, tell me a joke', 'interrupt');
  expect(res.status).toBe(202);
  await until('the aborted call', () => stack.fake.callsForKey(running.key)[0]?.aborted === true);
  const c = await finishedTurn(id, res.body.job_id);
  expect(c.turns).toHaveLength(2);
  expect(c.turns[0]).toMatchObject({
    job_id: running.jobId,
    status: 'cancelled',
    interrupted: true,
    interrupted_by: res.body.job_id,
  });
  expect(c.turns[1]).toMatchObject({ job_id: res.body.job_id, status: 'completed' });
  // The new turn saw the interrupted message in its context (user, placeholder answer, user).
  expect(c.turns[1]!.response).toContain('I have seen 3 messages');
  const job = await requestJson<{ status: string }>(`${stack.apiUrl}/chat/${running.jobId}`);
  expect(job.body.status).toBe('cancelled');
});

it('rollback aborts the running model call and removes the turn from the transcript', async () => {
  const id = newConversation();
  const running = await hangingTurn(id);
  const res = await post(id, 'Forget that, say hi', 'rollback');
  expect(res.status).toBe(202);
  await until('the aborted call', () => stack.fake.callsForKey(running.key)[0]?.aborted === true);
  const c = await finishedTurn(id, res.body.job_id);
  expect(c.turns.map((t) => t.job_id)).toEqual([res.body.job_id]);
  expect(c.turns[0]!.response).toContain('I have seen 1 messages');
});

it('on_busy without conversation_id is a 400 naming the field', async () => {
  const res = await postJson<ErrorBody>(`${stack.apiUrl}/chat`, {
    user_id: user,
    message: 'Hi',
    on_busy: 'interrupt',
  });
  expect(res.status).toBe(400);
  expect(res.body.details?.[0]?.field).toBe('on_busy');
});
