/**
 * The usage ledger (src/usage): each model call commits `{jobId, call, …}` from its activity
 * before completing, and a store counts each key once.
 * - PostgreSQL store: the same record twice (in one batch, in two batches, from two writers at
 *   once) counts once; pruning old keys leaves the counters alone.
 * - On a stack with PostgreSQL: a plain chat job's history is the bare one-activity shape (no
 *   marker, signal or child), agent jobs add no accounting events either, and a job's tokens are
 *   in `GET /users/:id/usage` as soon as the job reads completed (no polling).
 * - The Temporal-ledger fallback (no database): plain and agent jobs are counted exactly, and a
 *   batch delivered twice (or an old single-job record) counts once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import pino from 'pino';
import {
  USAGE_WORKFLOW_TYPE,
  recordUsageBatchSignal,
  recordUsageSignal,
  usageWorkflowId,
  type UsageCallRecord,
} from '../src/shared';
import {
  dropUsageDatabase,
  openPostgresUsageStore,
  type PostgresUsage,
} from '../src/usage/postgres-store';
import { pollUntil, postJson, requestJson } from './helpers/http';
import { TEST_POSTGRES_URL, startTestStack, type TestStack } from './helpers/stack';

const EventType = temporal.api.enums.v1.EventType;

interface UsageBody {
  jobs: number;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  by_model: Record<string, { calls: number; input_tokens: number }>;
  today: { date: string; jobs: number; tokens: number };
}

interface JobResult {
  job_id: string;
  status: string;
  usage?: { input_tokens: number; output_tokens: number };
  steps?: { type: string }[];
}

function call(
  jobId: string,
  callIndex: number,
  userId: string,
  input: number,
  output: number,
  at = '2026-12-03T10:00:00.000Z',
): UsageCallRecord {
  return {
    jobId,
    call: callIndex,
    userId,
    model: 'claude-test',
    usage: {
      input_tokens: input,
      output_tokens: output,
      cache_creation_input_tokens: 1,
      cache_read_input_tokens: 2,
    },
    at,
  };
}

describe('the PostgreSQL store', () => {
  const url = `${TEST_POSTGRES_URL}/af_usage_${randomBytes(6).toString('hex')}`;
  let store: PostgresUsage;

  beforeAll(async () => {
    store = await openPostgresUsageStore({ url, poolSize: 4, logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await store.close();
    await dropUsageDatabase(url);
  });

  it('counts the same (job, call) once: repeated in a batch, in a later batch, by two writers', async () => {
    const user = `u-${randomUUID().slice(0, 8)}`;
    const a0 = call('job-a', 0, user, 10, 5);
    const a1 = call('job-a', 1, user, 20, 7);
    const b0 = call('job-b', 0, user, 3, 2, '2026-12-02T23:59:59.000Z');
    await store.write([a0, a0]);
    await store.write([a0, a1]);
    // A retried call's record carries other tokens: the first record of the key stands.
    await Promise.all([
      store.write([b0, { ...a1, usage: { input_tokens: 999, output_tokens: 999 } }]),
      store.write([a1, b0, a0]),
    ]);
    const totals = await store.totals(user);
    expect(totals).toMatchObject({
      userId: user,
      jobs: 2,
      byModel: {
        'claude-test': {
          calls: 3,
          input_tokens: 33,
          output_tokens: 14,
          cache_creation_input_tokens: 3,
          cache_read_input_tokens: 6,
        },
      },
      // Budget tokens: input + cache writes + output.
      days: { '2026-12-03': { jobs: 1, tokens: 44 }, '2026-12-02': { jobs: 1, tokens: 6 } },
    });
    expect(await store.tokensOn(user, '2026-12-03')).toBe(44);
    expect(await store.tokensOn(user, '2026-12-01')).toBe(0);
    expect(await store.totals(`nobody-${user}`)).toBeUndefined();
  });

  it('prunes call keys past the de-duplication window without touching the counters', async () => {
    const user = `p-${randomUUID().slice(0, 8)}`;
    await store.write([call(`old-${user}`, 0, user, 4, 4), call(`new-${user}`, 0, user, 1, 1)]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        `UPDATE usage_calls SET recorded_at = now() - interval '9 days' WHERE job_id = $1`,
        [`old-${user}`],
      );
      expect(await store.prune()).toBe(1);
      const left = await admin.query('SELECT job_id FROM usage_calls WHERE user_id = $1', [user]);
      expect(left.rows).toEqual([{ job_id: `new-${user}` }]);
    } finally {
      await admin.end();
    }
    expect(await store.totals(user)).toMatchObject({
      jobs: 2,
      byModel: { 'claude-test': { calls: 2 } },
    });
  });
});

describe('a stack counting in PostgreSQL', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('runs a plain chat job at the bare shape and shows its tokens as soon as it reads completed', async () => {
    const user = `bare-${randomUUID().slice(0, 8)}`;
    const res = await postJson<JobResult>(`${stack.apiUrl}/chat?wait=20s`, {
      user_id: user,
      message: 'Hello there',
    });
    expect(res.body.status).toBe('completed');
    // No sleep, no polling: the activity committed the usage before it completed.
    const { body: usage } = await requestJson<UsageBody>(`${stack.apiUrl}/users/${user}/usage`);
    expect(usage).toMatchObject({
      jobs: 1,
      model_calls: 1,
      input_tokens: res.body.usage!.input_tokens,
      output_tokens: res.body.usage!.output_tokens,
      today: { jobs: 1, tokens: res.body.usage!.input_tokens + res.body.usage!.output_tokens },
    });

    const handle = stack.client.workflow.getHandle(res.body.job_id);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.map((e) => EventType[e.eventType!])).toEqual([
      'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_TASK_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
      'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
      'EVENT_TYPE_ACTIVITY_TASK_STARTED',
      'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_TASK_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });

  it('counts an agent job’s calls with no accounting event in its history', async () => {
    const user = `agent-${randomUUID().slice(0, 8)}`;
    stack.fake.reset();
    const res = await postJson<JobResult>(`${stack.apiUrl}/chat?wait=20s`, {
      user_id: user,
      message: 'What is 25 * 17?',
      tools: true,
    });
    expect(res.body.status).toBe('completed');
    const calls = stack.fake.calls();
    expect(calls.length).toBe(2);
    const { body: usage } = await requestJson<UsageBody>(`${stack.apiUrl}/users/${user}/usage`);
    expect(usage).toMatchObject({
      jobs: 1,
      model_calls: 2,
      input_tokens: calls.reduce((sum, c) => sum + c.inputTokens, 0),
      output_tokens: calls.reduce((sum, c) => sum + c.outputTokens, 0),
    });
    expect(usage.input_tokens).toBe(res.body.usage!.input_tokens);

    const handle = stack.client.workflow.getHandle(res.body.job_id);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const types = events.map((e) => EventType[e.eventType!]);
    expect(types.filter((t) => /MARKER|CHILD_WORKFLOW|SIGNAL_EXTERNAL/.test(t ?? ''))).toEqual([]);
    // Two model calls and one tool call: three activities, nothing else scheduled.
    expect(types.filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toHaveLength(3);
  });
});

describe('the Temporal-ledger fallback (no usage database)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ usage: 'temporal' });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('counts plain and agent jobs exactly, matching the tokens the model reported', async () => {
    expect(stack.config.usage.databaseUrl).toBeUndefined();
    const user = `ledger-${randomUUID().slice(0, 8)}`;
    stack.fake.reset();
    const jobs = await Promise.all([
      ...['What is 3 * 3?', 'What is 10 - 4?'].map((message) =>
        postJson<JobResult>(`${stack.apiUrl}/chat?wait=20s`, {
          user_id: user,
          message,
          tools: true,
        }),
      ),
      ...['Hello there', 'Tell me a story'].map((message) =>
        postJson<JobResult>(`${stack.apiUrl}/chat?wait=20s`, { user_id: user, message }),
      ),
    ]);
    for (const job of jobs) expect(job.body.status).toBe('completed');
    const calls = stack.fake.calls();
    // The ledger copies its totals to its memo on its own workflow task: read it when it has.
    const usage = await pollUntil<UsageBody>(
      `${stack.apiUrl}/users/${user}/usage`,
      (u) => u.model_calls >= calls.length,
    );
    expect(usage).toMatchObject({
      jobs: 4,
      model_calls: calls.length,
      input_tokens: calls.reduce((sum, c) => sum + c.inputTokens, 0),
      output_tokens: calls.reduce((sum, c) => sum + c.outputTokens, 0),
    });
    const perJob = jobs.reduce((sum, job) => sum + job.body.usage!.output_tokens, 0);
    expect(perJob).toBe(usage.output_tokens);
  });

  it('counts a batch delivered twice, and an old single-job record delivered twice, once', async () => {
    const user = `dedupe-${randomUUID().slice(0, 8)}`;
    const job = randomUUID();
    const batch = [call(job, 0, user, 11, 7), call(job, 1, user, 5, 3)];
    // What a write retried after a lost answer does: the same Signal-With-Start, twice.
    for (let i = 0; i < 2; i++) {
      await stack.client.workflow.signalWithStart(USAGE_WORKFLOW_TYPE, {
        workflowId: usageWorkflowId(user),
        taskQueue: stack.config.taskQueues.workflows,
        args: [{ userId: user }],
        signal: recordUsageBatchSignal,
        signalArgs: [batch],
      });
    }
    // A record of a job submitted before (the whole job, keyed by its id), delivered twice.
    const old = {
      jobId: randomUUID(),
      byModel: {
        'claude-test': {
          calls: 1,
          input_tokens: 2,
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    };
    const ledger = stack.client.workflow.getHandle(usageWorkflowId(user));
    await ledger.signal(recordUsageSignal, old);
    await ledger.signal(recordUsageSignal, old);
    // Signals apply in order: once this last one shows, every duplicate before it was seen.
    await ledger.signal(recordUsageBatchSignal, [call(randomUUID(), 0, user, 100, 100)]);
    const usage = await pollUntil<UsageBody>(
      `${stack.apiUrl}/users/${user}/usage`,
      (u) => u.output_tokens >= 100,
    );
    expect(usage).toMatchObject({
      jobs: 3,
      model_calls: 4,
      input_tokens: 118,
      output_tokens: 111,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 6,
    });
  });
});
