/**
 * Conversations on the real stack: one workflow per conversation fed by Update-with-Start, turns
 * answered strictly in order with the transcript sent to the model, continue-as-new keeping the
 * whole transcript, idle close and restart, and per-turn status.
 */
import { randomUUID } from 'node:crypto';
import { pollUntil, postJson, requestJson } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  // Two turns per run, so every conversation here goes through continue-as-new; a short idle
  // time, so one can close and restart within the test.
  stack = await startTestStack({
    env: { CONVERSATION_MAX_TURNS_PER_RUN: '2', CONVERSATION_IDLE_TIMEOUT_MS: '4000' },
  });
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
}
interface Conversation {
  conversation_id: string;
  user_id: string;
  status: 'active' | 'closed';
  runs: number;
  turns: Turn[];
  usage: { input_tokens: number; output_tokens: number };
}
interface Accepted {
  job_id: string;
  status: string;
  response?: string;
  turn?: number;
  conversation_id?: string;
}

const user = 'conv-user';
const newConversation = () => `c-${randomUUID().slice(0, 8)}`;

function post(conversationId: string, message: string, query = '') {
  return postJson<Accepted>(`${stack.apiUrl}/chat${query}`, {
    user_id: user,
    conversation_id: conversationId,
    message,
  });
}

function conversation(conversationId: string, userId = user) {
  return requestJson<Conversation>(
    `${stack.apiUrl}/conversations/${conversationId}?user_id=${userId}`,
  );
}

const allDone = (c: Conversation) =>
  c.turns.length > 0 && c.turns.every((t) => t.status === 'completed');

it('answers a 3-turn conversation whose later turns see the earlier ones', async () => {
  const id = newConversation();
  const first = await post(id, 'Hello, I am Ada', '?wait=20s');
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ status: 'completed', conversation_id: id, turn: 1 });
  expect(first.body.job_id).toMatch(new RegExp(`^conv~${user}~${id}~[0-9a-f-]{36}$`));
  expect(first.body.response).toContain('I have seen 1 messages');
  const second = await post(id, 'Remember my name', '?wait=20s');
  expect(second.body.response).toContain('I have seen 3 messages');
  const third = await post(id, 'What did I say first?', '?wait=20s');
  expect(third.body.response).toContain('I have seen 5 messages');

  // The conversation records a turn a moment after its job finishes.
  const view = {
    body: await pollUntil<Conversation>(
      `${stack.apiUrl}/conversations/${id}?user_id=${user}`,
      (c) => c.turns.length === 3 && allDone(c),
    ),
  };
  expect(view.body.turns.map((t) => [t.turn, t.status, t.message])).toEqual([
    [1, 'completed', 'Hello, I am Ada'],
    [2, 'completed', 'Remember my name'],
    [3, 'completed', 'What did I say first?'],
  ]);
  expect(view.body.usage.input_tokens).toBeGreaterThan(0);
  // Each turn is also a job of its own.
  const job = await requestJson<Accepted>(`${stack.apiUrl}/chat/${second.body.job_id}`);
  expect(job.body).toMatchObject({ status: 'completed', turn: 2, conversation_id: id });
});

it('queues concurrent posts and answers them strictly in order, none lost', async () => {
  const id = newConversation();
  const messages = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map(
    (w) => `Word ${w} [[fake latency_ms=100]]`,
  );
  const accepted = await Promise.all(messages.map((m) => post(id, m)));
  for (const res of accepted) expect(res.status).toBe(202);
  const turnOf = new Map(accepted.map((res, i) => [res.body.job_id, i]));
  expect(new Set(accepted.map((r) => r.body.job_id)).size).toBe(5);

  // While the first answers, a later turn waits (its job does not exist yet) and says so.
  const last = accepted[accepted.length - 1]!.body.job_id;
  const queued = await requestJson<Accepted>(`${stack.apiUrl}/chat/${last}`);
  expect(queued.status).toBe(200);
  expect(['queued', 'processing', 'completed']).toContain(queued.body.status);

  const view = await pollUntil<Conversation>(
    `${stack.apiUrl}/conversations/${id}?user_id=${user}`,
    (c) => c.turns.length === 5 && allDone(c),
  );
  view.turns.forEach((t, i) => {
    expect(t.turn).toBe(i + 1);
    // Turn k saw the 2(k-1) messages before it plus its own.
    expect(t.response).toContain(`I have seen ${2 * i + 1} messages`);
    expect(t.response).toContain(t.message.replace(/ \[\[fake.*\]\]/, ''));
    expect(turnOf.has(t.job_id)).toBe(true);
    if (i > 0) {
      expect(Date.parse(t.started_at!)).toBeGreaterThanOrEqual(
        Date.parse(view.turns[i - 1]!.completed_at!),
      );
    }
  });
});

it('keeps the full transcript through continue-as-new', async () => {
  const id = newConversation();
  for (let i = 1; i <= 5; i++) {
    const res = await post(id, `Message number ${i}`, '?wait=20s');
    expect(res.body.status).toBe('completed');
    expect(res.body.response).toContain(`I have seen ${2 * i - 1} messages`);
  }
  const view = {
    body: await pollUntil<Conversation>(
      `${stack.apiUrl}/conversations/${id}?user_id=${user}`,
      (c) => c.turns.length === 5 && allDone(c),
    ),
  };
  expect(view.body.turns.map((t) => t.message)).toEqual(
    [1, 2, 3, 4, 5].map((i) => `Message number ${i}`),
  );
  expect(view.body.runs).toBeGreaterThanOrEqual(3);
  const description = await stack.client.workflow.getHandle(`conv~${user}~${id}`).describe();
  // This run was started by continue-as-new, not by the first message.
  expect(description.runId).not.toBe(description.raw.workflowExecutionInfo?.firstRunId);
});

it('uses tools inside a conversation', async () => {
  const id = newConversation();
  const res = await post(id, 'What is 25 * 17?', '?wait=20s');
  expect(res.body.response).toBe('The answer is 425.');
  const job = await requestJson<{ steps: { type: string; name?: string }[] }>(
    `${stack.apiUrl}/chat/${res.body.job_id}`,
  );
  expect(job.body.steps.filter((s) => s.type === 'tool_call').map((s) => s.name)).toEqual([
    'calculator',
  ]);
});

it('closes after the idle time and restarts with its transcript', async () => {
  const id = newConversation();
  await post(id, 'Before the pause', '?wait=20s');
  const closed = await pollUntil<Conversation>(
    `${stack.apiUrl}/conversations/${id}?user_id=${user}`,
    (c) => c.status === 'closed',
    30_000,
    500,
  );
  expect(closed.turns).toHaveLength(1);
  const after = await post(id, 'After the pause', '?wait=20s');
  expect(after.body).toMatchObject({ status: 'completed', turn: 2 });
  expect(after.body.response).toContain('I have seen 3 messages');
  const view = {
    body: await pollUntil<Conversation>(
      `${stack.apiUrl}/conversations/${id}?user_id=${user}`,
      (c) => c.turns.length === 2 && allDone(c),
    ),
  };
  expect(view.body.status).toBe('active');
  expect(view.body.turns.map((t) => t.message)).toEqual(['Before the pause', 'After the pause']);
});

describe('validation and ownership', () => {
  it('400 naming conversation_id for a bad id, and user_id when it is missing', async () => {
    const bad = await postJson<{ details: { field: string }[] }>(`${stack.apiUrl}/chat`, {
      user_id: user,
      conversation_id: 'no spaces~here',
      message: 'hi',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d) => d.field)).toEqual(['conversation_id']);
    const noUser = await requestJson<{ details: { field: string }[] }>(
      `${stack.apiUrl}/conversations/abc`,
    );
    expect(noUser.status).toBe(400);
    expect(noUser.body.details.map((d) => d.field)).toEqual(['user_id']);
  });

  it("another user cannot see or post into someone's conversation", async () => {
    const id = newConversation();
    await post(id, 'Private note', '?wait=20s');
    expect((await conversation(id, 'mallory')).status).toBe(404);
    // Mallory posting the same conversation_id gets a conversation of her own.
    const theirs = await postJson<Accepted>(`${stack.apiUrl}/chat?wait=20s`, {
      user_id: 'mallory',
      conversation_id: id,
      message: 'Hello?',
    });
    expect(theirs.body.turn).toBe(1);
    expect(theirs.body.response).toContain('I have seen 1 messages');
    expect((await conversation(id)).body.turns).toHaveLength(1);
  });
});
