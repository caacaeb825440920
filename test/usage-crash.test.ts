/**
 * Exactly-once usage counting through a SIGKILL of the batching component: the activity-worker
 * process whose group-commit writer holds the records.
 *
 * The test holds a lock on the counters table so that worker A's first flush stays blocked in
 * PostgreSQL while its model calls wait for the commit (and the records behind it wait in A's
 * memory). Then A is SIGKILLed and the lock released: the blocked statement commits for a client
 * that is gone (the "killed after the commit" case), the queued records are lost with A (the
 * "killed before the commit" case), and worker B retries every call. Each job must be counted
 * once, with the tokens the jobs themselves report.
 */
import pg from 'pg';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { killAllSpawned, type SpawnedProcess } from './helpers/processes';
import { spawnActivityWorker, startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
let admin: pg.Client;

beforeAll(async () => {
  stack = await startTestStack({ inProcessActivities: false });
  admin = new pg.Client({ connectionString: stack.config.usage.databaseUrl });
  await admin.connect();
});

afterAll(async () => {
  killAllSpawned();
  await admin.end();
  await stack.close();
});

interface Job extends JobBody {
  usage?: { input_tokens: number; output_tokens: number };
  steps?: { type: string }[];
}

/** Waits until `check` holds, re-checking every 100 ms (bounded). */
async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('counts every job once, with its own tokens, when the worker holding the batch is SIGKILLed', async () => {
  const user = `crash-${Date.now()}`;
  const workerA: SpawnedProcess = await spawnActivityWorker(stack);
  // Worker A created the tables; block writes to the counters (reads still pass).
  await admin.query('BEGIN');
  await admin.query('LOCK TABLE usage_daily IN EXCLUSIVE MODE');

  const plain = Array.from({ length: 10 }, (_, i) => `Hello number ${i}`);
  const agent = ['What is 6 * 7?', 'What is 12 * 12?'];
  const submitted = await Promise.all([
    ...plain.map((message) => postJson<Job>(`${stack.apiUrl}/chat`, { user_id: user, message })),
    ...agent.map((message) =>
      postJson<Job>(`${stack.apiUrl}/chat`, { user_id: user, message, tools: true }),
    ),
  ]);
  for (const res of submitted) expect(res.status).toBe(202);
  const n = submitted.length;

  // Every job's first model call answered, and A's first flush is stuck on the lock.
  await waitFor('every first model call', () => stack.fake.calls().length >= n);
  await waitFor('a usage write blocked on the lock', async () => {
    // Any other session of this test's database waiting on a lock is A's writer: nothing else
    // writes here (matching the statement's text would depend on how the driver sends it).
    const res = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return (res.rows[0] as { n: number }).n > 0;
  });

  workerA.child.kill('SIGKILL');
  await workerA.exited();
  await admin.query('COMMIT');
  // The statement A sent commits anyway: those keys are stored though A never completed them.
  await waitFor('the orphaned write to commit', async () => {
    const res = await admin.query('SELECT count(*)::int AS n FROM usage_calls WHERE user_id = $1', [
      user,
    ]);
    return (res.rows[0] as { n: number }).n > 0;
  });
  const committedByA = (
    await admin.query('SELECT count(*)::int AS n FROM usage_calls WHERE user_id = $1', [user])
  ).rows[0] as { n: number };

  await spawnActivityWorker(stack);
  const jobs = await Promise.all(
    submitted.map((res) =>
      pollUntil<Job>(`${stack.apiUrl}/chat/${res.body.job_id}`, isFinished, 90_000),
    ),
  );
  for (const job of jobs) expect(job.status).toBe('completed');
  // Every job's first call ran twice (A's attempt, then B's), yet counts once.
  expect(jobs.every((job) => job.attempts >= 2)).toBe(true);
  // Some keys were committed by A before the kill, some were lost with A's queue: both cases.
  expect(committedByA.n).toBeGreaterThan(0);
  expect(committedByA.n).toBeLessThan(n);

  const { body: usage } = await requestJson<{
    jobs: number;
    model_calls: number;
    input_tokens: number;
    output_tokens: number;
  }>(`${stack.apiUrl}/users/${user}/usage`);
  const sum = (pick: (job: Job) => number) => jobs.reduce((total, job) => total + pick(job), 0);
  expect(usage).toEqual(
    expect.objectContaining({
      jobs: n,
      model_calls: sum((job) => job.steps?.filter((s) => s.type === 'model_call').length ?? 1),
      input_tokens: sum((job) => job.usage!.input_tokens),
      output_tokens: sum((job) => job.usage!.output_tokens),
    }),
  );
  // The model was paid for more calls than were counted: the retried calls' second spend.
  expect(stack.fake.calls().length).toBeGreaterThan(usage.model_calls);
});
