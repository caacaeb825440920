/**
 * Admission control against a real Temporal backlog: past the limit POST answers 503 with
 * Retry-After, high priority keeps headroom, admission reopens once the backlog drains, the
 * per-user cap answers 429, a refused request starts nothing, and GET /queues shows it all.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';
import { settledWorkflowCount } from './helpers/temporal';

interface QueuesBody {
  task_queues: { name: string; type: string; backlog_count: number; pollers: number }[];
  admission: { backlog: number; admitting: { normal: boolean; medium: boolean; high: boolean } };
}

/** Workflows started on the stack's queue, once visibility has caught up with `expected`. */
function started(stack: TestStack, expected: number): Promise<number> {
  return settledWorkflowCount(
    stack.client,
    `TaskQueue = '${stack.config.taskQueues.workflows}'`,
    expected,
  );
}

it('refuses normal work past the backlog limit, keeps headroom for high, and reopens after draining', async () => {
  const stack = await startTestStack({
    workers: false,
    env: {
      ADMISSION_MAX_BACKLOG: '20',
      ADMISSION_MAX_BACKLOG_HIGH: '1000',
      ADMISSION_CACHE_MS: '100',
      USER_MAX_ACTIVE_JOBS: '0',
    },
  });
  try {
    let accepted = 0;
    let refusal: Awaited<ReturnType<typeof requestJson<{ error: string }>>> | undefined;
    for (let i = 0; i < 200 && !refusal; i += 1) {
      const res = await postJson<{ error: string }>(`${stack.apiUrl}/chat`, {
        user_id: 'admission-user',
        message: `Hello ${i} [[fake key=${randomUUID()}]]`,
      });
      if (res.status === 202) accepted += 1;
      else refusal = res;
      // Every ten jobs, wait until the API's backlog reading (GET /queues) shows what we added, so
      // the refusal below comes from the backlog the server reports, not from a stale reading.
      if (i % 10 === 9 && !refusal) {
        const seen = accepted;
        await pollUntil<QueuesBody>(
          `${stack.apiUrl}/queues`,
          (body) => body.admission.backlog >= seen,
          20_000,
          50,
        );
      }
    }
    expect(refusal?.status).toBe(503);
    expect(refusal?.body.error).toBe('overloaded');
    expect(Number(refusal?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeGreaterThanOrEqual(20);
    // The refused request started nothing.
    expect(await started(stack, accepted)).toBe(accepted);

    const queues = await requestJson<QueuesBody>(`${stack.apiUrl}/queues`);
    expect(queues.status).toBe(200);
    expect(queues.body.admission.backlog).toBeGreaterThanOrEqual(20);
    expect(queues.body.admission.admitting).toMatchObject({ normal: false, high: true });
    const wf = queues.body.task_queues.find((q) => q.type === 'workflow')!;
    expect(wf.name).toBe(stack.config.taskQueues.workflows);
    expect(wf.backlog_count).toBeGreaterThanOrEqual(20);

    const high = await postJson(`${stack.apiUrl}/chat`, {
      user_id: 'admission-user',
      message: `Urgent [[fake key=${randomUUID()}]]`,
      priority: 'high',
    });
    expect(high.status).toBe(202);

    // Workers drain the backlog; admission reopens by itself.
    await stack.startWorkers();
    const reopened = await pollUntil<QueuesBody>(
      `${stack.apiUrl}/queues`,
      (body) => body.admission.admitting.normal && body.task_queues.every((q) => q.pollers > 0),
      60_000,
      250,
    );
    expect(reopened.admission.backlog).toBeLessThan(20);
    const after = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'admission-user',
      message: 'What is 3 * 3?',
    });
    expect(after.status).toBe(202);
    const job = await pollUntil<JobBody>(
      `${stack.apiUrl}/chat/${after.body.job_id}`,
      isFinished,
      60_000,
    );
    expect(job.response).toContain('9');
  } finally {
    await stack.close();
  }
});

it('caps one user’s queued + running jobs with 429 and Retry-After, without affecting others', async () => {
  const stack = await startTestStack({ workers: false, env: { USER_MAX_ACTIVE_JOBS: '3' } });
  try {
    for (let i = 0; i < 3; i += 1) {
      // Agent jobs count towards the cap like plain ones.
      const res = await postJson(`${stack.apiUrl}/chat`, {
        user_id: 'capped-user',
        message: `job ${i}`,
        ...(i === 2 ? { tools: true } : {}),
      });
      expect(res.status).toBe(202);
    }
    // Visibility shows all three (the agent job counts too); the API's count — loaded from
    // visibility in the background and topped up with its own acceptances — refuses the fourth.
    expect(await started(stack, 3)).toBe(3);
    const refused = await postJson<{ error: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'capped-user',
      message: 'one too many',
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_active_jobs');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await started(stack, 3)).toBe(3);
    const other = await postJson(`${stack.apiUrl}/chat`, { user_id: 'other-user', message: 'hi' });
    expect(other.status).toBe(202);
  } finally {
    await stack.close();
  }
});

it('refuses a user past the daily token budget with 429 until midnight UTC, shown in usage', async () => {
  const stack = await startTestStack({
    // One token: the first job spends it. No reading is reused, so the next POST sees it.
    env: { USER_DAILY_TOKEN_BUDGET: '1', ADMISSION_CACHE_MS: '0' },
  });
  try {
    const user = `budget-${randomUUID().slice(0, 8)}`;
    stack.fake.reset();
    const first = await postJson<JobBody>(`${stack.apiUrl}/chat?wait=20s`, {
      user_id: user,
      message: 'What is 2 + 2?',
    });
    expect(first.body.status).toBe('completed');
    const [call] = stack.fake.calls();
    const spent = call!.inputTokens + call!.outputTokens;
    // The model call committed its usage before completing: no waiting for the ledger.
    const { body: usage } = await requestJson<{
      today: { date: string; jobs: number; tokens: number; budget?: number; remaining?: number };
    }>(`${stack.apiUrl}/users/${user}/usage`);
    expect(usage.today).toEqual({
      date: new Date().toISOString().slice(0, 10),
      jobs: 1,
      tokens: spent,
      budget: 1,
      remaining: 0,
    });

    const refused = await postJson<{ error: string; message: string }>(`${stack.apiUrl}/chat`, {
      user_id: user,
      message: 'one more',
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('daily_token_budget_exceeded');
    const retryAfter = Number(refused.headers.get('retry-after'));
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((midnight - now.getTime()) / 1000) + 1);
    // Agent jobs are refused too: the budget is the user's, whatever the job kind.
    const agent = await postJson<{ error: string }>(`${stack.apiUrl}/chat`, {
      user_id: user,
      message: 'What is 3 * 3?',
      tools: true,
    });
    expect(agent.status).toBe(429);
    // Another user has their own budget.
    const other = await postJson(`${stack.apiUrl}/chat`, { user_id: `${user}-b`, message: 'hi' });
    expect(other.status).toBe(202);
    const metrics = await fetch(`${stack.apiUrl}/metrics`).then((res) => res.text());
    expect(metrics).toMatch(
      /agent_fleet_job_admission_refusals_total\{reason="token_budget"\} 2\b/,
    );
  } finally {
    await stack.close();
  }
});
