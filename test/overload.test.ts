/**
 * Overload that fails fast: a flood of concurrent POST /chat against a real stack whose adaptive
 * start limit is small. The excess is answered 503 `overloaded` with Retry-After at once (never
 * queued behind the server), every accepted job completes, nothing refused was started, and the
 * refusals are visible in the metrics and in GET /queues.
 */
import { randomUUID } from 'node:crypto';
import { CHAT_WORKFLOW_TYPE } from '../src/shared';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';
import { settledWorkflowCount } from './helpers/temporal';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { START_LIMIT_INITIAL: '4', START_LIMIT_MIN: '2', START_LIMIT_MAX: '8' },
  });
});

afterAll(async () => {
  await stack.close();
});

interface QueuesBody {
  admission: {
    start_limit: { limit: number; in_flight: number; min_rtt_ms: number | null; refusals: number };
  };
}

it('refuses the excess of a flood with 503 + Retry-After and completes every accepted job', async () => {
  const offered = 150;
  const answers = await Promise.all(
    Array.from({ length: offered }, (_, i) =>
      postJson<{ job_id?: string; error?: string; message?: string }>(`${stack.apiUrl}/chat`, {
        user_id: `flood-${i % 10}`,
        message: `What is ${i} + 1? [[fake key=${randomUUID()}]]`,
      }),
    ),
  );
  const accepted = answers.filter((a) => a.status === 202);
  const refused = answers.filter((a) => a.status === 503);
  // Every request is answered one way or the other: accepted, or refused outright.
  expect(accepted.length + refused.length).toBe(offered);
  expect(refused.length).toBeGreaterThan(0);
  expect(accepted.length).toBeGreaterThan(0);
  for (const answer of refused) {
    expect(answer.body.error).toBe('overloaded');
    expect(typeof answer.body.message).toBe('string');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }

  // Nothing refused was started: the queue holds exactly the accepted jobs (the users' usage
  // ledgers run there too: count chat jobs only).
  expect(
    await settledWorkflowCount(
      stack.client,
      `TaskQueue = '${stack.config.taskQueues.workflows}' AND WorkflowType = '${CHAT_WORKFLOW_TYPE}'`,
      accepted.length,
    ),
  ).toBe(accepted.length);
  // No accepted job is lost.
  for (const answer of accepted) {
    const job = await pollUntil<JobBody>(
      `${stack.apiUrl}/chat/${answer.body.job_id}`,
      isFinished,
      120_000,
      250,
    );
    expect(job.status).toBe('completed');
  }

  const queues = await requestJson<QueuesBody>(`${stack.apiUrl}/queues`);
  expect(queues.status).toBe(200);
  const limit = queues.body.admission.start_limit;
  expect(limit.refusals).toBe(refused.length);
  expect(limit.in_flight).toBe(0);
  expect(limit.limit).toBeGreaterThanOrEqual(2);
  expect(limit.limit).toBeLessThanOrEqual(8);
  expect(limit.min_rtt_ms).toBeGreaterThan(0);
  const metrics = await fetch(`${stack.apiUrl}/metrics`).then((res) => res.text());
  expect(metrics).toMatch(
    new RegExp(
      `agent_fleet_job_admission_refusals_total\\{reason="start_limit"\\} ${refused.length}\\b`,
    ),
  );
  expect(metrics).toMatch(/agent_fleet_start_limit \d+/);
  expect(metrics).toMatch(/agent_fleet_starts_in_flight 0\b/);
});
