/**
 * Human approval of tool calls on the real stack: a call waits (status `awaiting_approval`,
 * `pending_approvals`, the search attribute, `GET /approvals`, `GET /queues`, SSE events) until
 * `POST /chat/:job_id/approvals` approves (the tool runs) or denies it (the model answers with
 * the reason); the timeout denies; cancelling while waiting; workers restarted during the wait;
 * 400/404/409; and the cost in history events of a job that waits, against one that does not.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../src/shared/constants';
import { isFinished, pollUntil, postJson, requestJson } from './helpers/http';
import { readSse } from '../src/streaming/sse-reader';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

interface Pending {
  tool_use_id: string;
  tool: string;
  input: unknown;
  requested_at: string;
  expires_at: string;
}

interface Step {
  type: 'model_call' | 'tool_call';
  name?: string;
  output?: string;
  is_error?: boolean;
  approval?: { decision: string; reason?: string; timed_out?: boolean };
}

interface Job {
  job_id: string;
  user_id: string;
  status: string;
  response?: string;
  steps?: Step[];
  pending_approvals?: Pending[];
  conversation_id?: string;
}

interface ErrorBody {
  error: string;
  details?: { field: string; message: string }[];
}

async function submit(
  target: TestStack,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Job & ErrorBody }> {
  return postJson<Job & ErrorBody>(`${target.apiUrl}/chat`, { user_id: 'approver', ...body });
}

/** Submits a calculator job whose calculator call needs approval; resolves once it waits. */
async function waitingJob(
  target: TestStack = stack,
  extra: Record<string, unknown> = {},
): Promise<{ job: Job; pending: Pending; key: string }> {
  const key = randomUUID();
  const res = await submit(target, {
    message: `What is 25 * 17? [[fake key=${key}]]`,
    tools: true,
    require_approval: ['calculator'],
    ...extra,
  });
  expect(res.status).toBe(202);
  const job = await pollUntil<Job>(
    `${target.apiUrl}/chat/${res.body.job_id}`,
    // Without a worker answering the status query the status alone shows (from the search
    // attribute): wait for the waiting call itself.
    (j) => j.status === 'awaiting_approval' && (j.pending_approvals?.length ?? 0) > 0,
  );
  expect(job.pending_approvals).toHaveLength(1);
  return { job, pending: job.pending_approvals![0]!, key };
}

function decide(
  target: TestStack,
  jobId: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Job & ErrorBody }> {
  return postJson<Job & ErrorBody>(`${target.apiUrl}/chat/${jobId}/approvals`, body);
}

const finished = (target: TestStack, jobId: string) =>
  pollUntil<Job>(`${target.apiUrl}/chat/${jobId}`, (job) => isFinished(job as never));

async function historyOf(jobId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const history = await stack.client.workflow.getHandle(jobId).fetchHistory();
  return history.events ?? [];
}

/** Event type names of a history, e.g. `WorkflowTaskCompleted`. */
async function eventTypes(jobId: string): Promise<string[]> {
  return (await historyOf(jobId)).map((e) =>
    String(temporal.api.enums.v1.EventType[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, ''),
  );
}

const toolRuns = async (jobId: string) =>
  (await historyOf(jobId)).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTool',
  ).length;

it('waits for approval, then runs the approved tool and completes', async () => {
  const { job, pending } = await waitingJob();
  expect(pending).toMatchObject({ tool: 'calculator', input: { expression: '25 * 17' } });
  expect(Date.parse(pending.expires_at) - Date.parse(pending.requested_at)).toBe(24 * 3_600_000);
  // Nothing ran yet: the model's first call only.
  expect(job.steps?.map((s) => s.type)).toEqual(['model_call']);
  expect(await toolRuns(job.job_id)).toBe(0);

  const res = await decide(stack, job.job_id, {
    tool_use_id: pending.tool_use_id,
    decision: 'approve',
  });
  expect(res.status).toBe(200);
  expect(res.body.job_id).toBe(job.job_id);
  expect(res.body.status).toBe('processing');
  expect(res.body.pending_approvals).toBeUndefined();

  const done = await finished(stack, job.job_id);
  expect(done.status).toBe('completed');
  expect(done.response).toBe('The answer is 425.');
  const tool = done.steps!.find((s) => s.type === 'tool_call')!;
  expect(tool).toMatchObject({ name: 'calculator', output: '425', is_error: false });
  expect(tool.approval).toMatchObject({ decision: 'approve' });
  expect(await toolRuns(job.job_id)).toBe(1);

  // A second decision on the same call: 409, and nothing more in the history.
  const before = (await historyOf(job.job_id)).length;
  const again = await decide(stack, job.job_id, {
    tool_use_id: pending.tool_use_id,
    decision: 'deny',
  });
  expect(again.status).toBe(409);
  expect((await historyOf(job.job_id)).length).toBe(before);
});

it('denies: the tool does not run and the model answers with the reason', async () => {
  const { job, pending } = await waitingJob();
  const res = await decide(stack, job.job_id, {
    tool_use_id: pending.tool_use_id,
    decision: 'deny',
    reason: 'no arithmetic on Sundays',
  });
  expect(res.status).toBe(200);
  const done = await finished(stack, job.job_id);
  expect(done.status).toBe('completed');
  expect(done.response).toMatch(/calculator tool failed: .*denied.*no arithmetic on Sundays/);
  const tool = done.steps!.find((s) => s.type === 'tool_call')!;
  expect(tool).toMatchObject({ is_error: true, approval: { decision: 'deny' } });
  expect(await toolRuns(job.job_id)).toBe(0);
});

it('409 for an unknown call, with no event written; 404 for another user; 400 naming fields', async () => {
  const { job, pending } = await waitingJob();
  const before = (await historyOf(job.job_id)).length;
  const unknown = await decide(stack, job.job_id, {
    tool_use_id: 'toolu_nope',
    decision: 'approve',
  });
  expect(unknown.status).toBe(409);
  expect(unknown.body.error).toBe('approval_not_pending');
  // The workflow's validator refused it: the history did not grow.
  expect((await historyOf(job.job_id)).length).toBe(before);

  const bad = await decide(stack, job.job_id, { tool_use_id: pending.tool_use_id, decision: 'ok' });
  expect(bad.status).toBe(400);
  expect(bad.body.details?.map((d) => d.field)).toEqual(['decision']);
  const missing = await decide(stack, job.job_id, { decision: 'approve' });
  expect(missing.body.details?.map((d) => d.field)).toEqual(['tool_use_id']);
  const nobody = await decide(stack, randomUUID(), {
    tool_use_id: pending.tool_use_id,
    decision: 'approve',
  });
  expect(nobody.status).toBe(404);

  // require_approval names registry tools, and needs a job that may call tools.
  const unknownTool = await submit(stack, {
    message: 'hi',
    tools: true,
    require_approval: ['calculator', 'rm_rf'],
  });
  expect(unknownTool.status).toBe(400);
  expect(unknownTool.body.details?.map((d) => d.field)).toEqual(['require_approval.1']);
  const plain = await submit(stack, { message: 'hi', require_approval: true });
  expect(plain.status).toBe(400);
  expect(plain.body.details?.map((d) => d.field)).toEqual(['require_approval']);
  const wrongType = await submit(stack, { message: 'hi', tools: true, require_approval: 'yes' });
  expect(wrongType.status).toBe(400);
  expect(wrongType.body.details?.[0]?.field).toBe('require_approval');

  // Cancelling while waiting.
  const cancel = await requestJson<Job>(`${stack.apiUrl}/chat/${job.job_id}`, {
    method: 'DELETE',
  });
  expect(cancel.status).toBe(200);
  expect(cancel.body.status).toBe('cancelled');
  const after = await decide(stack, job.job_id, {
    tool_use_id: pending.tool_use_id,
    decision: 'approve',
  });
  expect(after.status).toBe(409);
  expect(await toolRuns(job.job_id)).toBe(0);
  // The attribute was cleared on the way out.
  const description = await stack.client.workflow.getHandle(job.job_id).describe();
  expect(description.searchAttributes[SEARCH_ATTRIBUTES.awaitingApproval.name]).toEqual([false]);
});

it('lists waiting jobs (GET /approvals), counts them (GET /queues) and finds them in visibility', async () => {
  const user = `lister-${randomUUID().slice(0, 8)}`;
  const a = await waitingJob(stack, { user_id: user });
  const b = await waitingJob(stack, { user_id: user });
  const other = await waitingJob(stack);

  const mine = await requestJson<{ jobs: { job_id: string; pending_approvals: Pending[] }[] }>(
    `${stack.apiUrl}/approvals?user_id=${user}`,
  );
  // Visibility is eventually consistent: poll until both are listed.
  const listed = await pollUntil<{
    jobs: { job_id: string; user_id: string; pending_approvals: Pending[] }[];
  }>(`${stack.apiUrl}/approvals?user_id=${user}`, (body) => body.jobs.length === 2);
  expect(mine.status).toBe(200);
  expect(listed.jobs.map((j) => j.job_id).sort()).toEqual([a.job.job_id, b.job.job_id].sort());
  for (const job of listed.jobs) {
    expect(job.user_id).toBe(user);
    expect(job.pending_approvals).toEqual([
      expect.objectContaining({ tool: 'calculator', input: { expression: '25 * 17' } }),
    ]);
  }
  const all = await pollUntil<{ jobs: { job_id: string }[] }>(
    `${stack.apiUrl}/approvals`,
    (body) => body.jobs.length === 3,
  );
  expect(all.jobs.map((j) => j.job_id)).toContain(other.job.job_id);

  const queues = await pollUntil<{ awaiting_approval: number | null }>(
    `${stack.apiUrl}/queues`,
    (body) => body.awaiting_approval === 3,
  );
  expect(queues.awaiting_approval).toBe(3);

  const query = `${SEARCH_ATTRIBUTES.awaitingApproval.name} = true AND ExecutionStatus = 'Running' AND ${SEARCH_ATTRIBUTES.userId.name} = '${user}'`;
  expect((await stack.client.workflow.count(query)).count).toBe(2);

  for (const { job, pending } of [a, b, other]) {
    const res = await decide(stack, job.job_id, {
      tool_use_id: pending.tool_use_id,
      decision: 'deny',
    });
    expect(res.status).toBe(200);
  }
  await pollUntil<{ jobs: unknown[] }>(
    `${stack.apiUrl}/approvals`,
    (body) => body.jobs.length === 0,
  );
  await pollUntil<{ awaiting_approval: number | null }>(
    `${stack.apiUrl}/queues`,
    (body) => body.awaiting_approval === 0,
  );
  for (const { job } of [a, b, other]) {
    expect((await finished(stack, job.job_id)).status).toBe('completed');
  }
});

it('streams approval_requested and approval_decided events', async () => {
  const { job, pending } = await waitingJob();
  const res = await fetch(`${stack.apiUrl}/chat/${job.job_id}/events`, {
    headers: { accept: 'text/event-stream' },
  });
  expect(res.status).toBe(200);
  const events: { event: string; data: Record<string, unknown> }[] = [];
  for await (const message of readSse(res.body!)) {
    const data = JSON.parse(message.data) as Record<string, unknown>;
    events.push({ event: message.event, data });
    // Decide only once the stream has announced the waiting call.
    if (message.event === 'approval_requested') {
      expect(data).toMatchObject({ tool_use_id: pending.tool_use_id, tool: 'calculator' });
      const decided = await decide(stack, job.job_id, {
        tool_use_id: pending.tool_use_id,
        decision: 'approve',
      });
      expect(decided.status).toBe(200);
    }
    if (message.event === 'done') break;
  }
  const names = events.map((e) => e.event);
  expect(names.indexOf('approval_requested')).toBeGreaterThanOrEqual(0);
  expect(names.indexOf('approval_decided')).toBeGreaterThan(names.indexOf('approval_requested'));
  expect(events).toContainEqual({ event: 'status', data: { status: 'awaiting_approval' } });
  expect(names[names.length - 1]).toBe('done');
});

it('survives its workers stopping during the wait and completes exactly once', async () => {
  const { job, pending, key } = await waitingJob();
  await stack.stopWorkers();
  try {
    // The wait is in Temporal: with no worker at all the job still reads as waiting.
    const view = await requestJson<Job>(`${stack.apiUrl}/chat/${job.job_id}`);
    expect(view.status).toBe(200);
    expect(view.body.status).toBe('awaiting_approval');
  } finally {
    await stack.startWorkers();
  }
  const res = await decide(stack, job.job_id, {
    tool_use_id: pending.tool_use_id,
    decision: 'approve',
  });
  expect(res.status).toBe(200);
  const done = await finished(stack, job.job_id);
  expect(done.status).toBe('completed');
  expect(done.response).toBe('The answer is 425.');
  expect(done.steps!.filter((s) => s.type === 'tool_call')).toHaveLength(1);
  expect(await toolRuns(job.job_id)).toBe(1);
  // Two model calls: the one that asked for the tool and the answer; neither repeated.
  expect(stack.fake.callsForKey(key)).toHaveLength(1);
});

it('costs events only for jobs that wait: same history without a call needing approval', async () => {
  const plain = await submit(stack, { message: 'What is 6 * 7?', tools: true });
  // Approval configured for another tool: the calculator call does not wait.
  const unaffected = await submit(stack, {
    message: 'What is 6 * 7?',
    tools: true,
    require_approval: ['word_count'],
  });
  const plainDone = await finished(stack, plain.body.job_id);
  const unaffectedDone = await finished(stack, unaffected.body.job_id);
  expect(unaffectedDone.response).toBe(plainDone.response);
  const plainTypes = await eventTypes(plain.body.job_id);
  expect(await eventTypes(unaffected.body.job_id)).toEqual(plainTypes);

  const { job, pending } = await waitingJob();
  await decide(stack, job.job_id, { tool_use_id: pending.tool_use_id, decision: 'approve' });
  await finished(stack, job.job_id);
  const waitedTypes = await eventTypes(job.job_id);
  const wfts = (types: string[]) => types.filter((t) => t === 'WORKFLOW_TASK_COMPLETED').length;
  const report = {
    without_approval: { events: plainTypes.length, wfts: wfts(plainTypes) },
    one_approval: { events: waitedTypes.length, wfts: wfts(waitedTypes) },
    added: waitedTypes.filter((t) => !plainTypes.includes(t)),
  };
  process.stdout.write(`approval cost: ${JSON.stringify(report)}\n`);
  expect(waitedTypes.length).toBeGreaterThan(plainTypes.length);
  expect(waitedTypes).toEqual(
    expect.arrayContaining([
      'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
      'TIMER_STARTED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]),
  );
});

it('passes require_approval through a conversation turn', async () => {
  const conversationId = `appr-${randomUUID().slice(0, 8)}`;
  const res = await submit(stack, {
    message: 'What is 9 * 9?',
    conversation_id: conversationId,
    require_approval: true,
  });
  expect(res.status).toBe(202);
  const job = await pollUntil<Job>(
    `${stack.apiUrl}/chat/${res.body.job_id}`,
    (j) => j.status === 'awaiting_approval',
  );
  expect(job.conversation_id).toBe(conversationId);
  const listed = await pollUntil<{ jobs: { job_id: string; conversation_id?: string }[] }>(
    `${stack.apiUrl}/approvals?user_id=approver`,
    (body) => body.jobs.some((j) => j.job_id === job.job_id),
  );
  expect(listed.jobs.find((j) => j.job_id === job.job_id)?.conversation_id).toBe(conversationId);
  const decided = await decide(stack, job.job_id, {
    tool_use_id: job.pending_approvals![0]!.tool_use_id,
    decision: 'approve',
  });
  expect(decided.status).toBe(200);
  const done = await finished(stack, job.job_id);
  expect(done.response).toBe('The answer is 81.');
});

describe('with a short approval timeout', () => {
  let short: TestStack;

  beforeAll(async () => {
    short = await startTestStack({ env: { APPROVAL_TIMEOUT_MS: '1500' } });
  });

  afterAll(async () => {
    await short.close();
  });

  it('denies a call nobody decided in time; the model answers without the tool', async () => {
    const { job } = await waitingJob(short);
    const done = await finished(short, job.job_id);
    expect(done.status).toBe('completed');
    const tool = done.steps!.find((s) => s.type === 'tool_call')!;
    expect(tool).toMatchObject({
      is_error: true,
      approval: { decision: 'deny', timed_out: true },
    });
    expect(done.response).toMatch(/calculator tool failed: .*not approved/);
  });
});
