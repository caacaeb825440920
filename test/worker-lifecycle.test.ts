/**
 * Worker lifecycle faults with real processes: a SIGSTOPped (partitioned) zombie worker, and
 * graceful SIGTERM — in-flight calls finish within the grace time, or are retried elsewhere.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { killAllSpawned, type SpawnedProcess } from './helpers/processes';
import { spawnActivityWorker, startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ inProcessActivities: false });
});

afterEach(() => {
  killAllSpawned();
});

afterAll(async () => {
  await stack.close();
});

/** Spawns an activity-worker process on this stack's queues and waits until it polls. */
const activityWorker = (env: Record<string, string> = {}): Promise<SpawnedProcess> =>
  spawnActivityWorker(stack, env);

/** Submits a slow streamed job; returns its id and fake-Claude key. */
async function submitSlow(tps: number): Promise<{ jobId: string; key: string }> {
  const key = randomUUID();
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'lifecycle-user',
    message: `Please tell a story about workers that stop and start again. [[fake key=${key} tps=${tps}]]`,
  });
  expect(res.status).toBe(202);
  return { jobId: res.body.job_id, key };
}

/** Waits until the job's model call is streaming and returns the pid of the worker running it. */
async function streamingWorkerPid(jobId: string, key: string): Promise<number> {
  const handle = stack.client.workflow.getHandle(jobId);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const pending = (await handle.describe()).raw.pendingActivities?.[0];
    const match = /^activities:(\d+)@/.exec(pending?.lastWorkerIdentity ?? '');
    if (Number(pending?.state) === 2 && match && stack.fake.callsForKey(key).length > 0)
      return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the call never started');
}

/** Count of events of one type in the job's workflow history. */
async function historyEvents(jobId: string, eventType: number): Promise<number> {
  const history = await stack.client.workflow.getHandle(jobId).fetchHistory();
  return (history.events ?? []).filter((event) => Number(event.eventType) === eventType).length;
}
const ACTIVITY_TASK_COMPLETED = 12;

it('a SIGSTOPped zombie is timed out and retried elsewhere; its late result is discarded', async () => {
  const workers = [await activityWorker(), await activityWorker()];
  const { jobId, key } = await submitSlow(8);
  const victimPid = await streamingWorkerPid(jobId, key);
  const victim = workers.find((worker) => worker.child.pid === victimPid)!;
  const survivor = workers.find((worker) => worker !== victim)!;
  victim.child.kill('SIGSTOP');

  // The zombie's outstanding polls may each swallow a retry (the server hands it a task that it
  // never starts); every such attempt times out on heartbeat, and the survivor finally runs it.
  const job = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 90_000);
  expect(job).toMatchObject({ status: 'completed' });
  expect(job.attempts).toBeGreaterThanOrEqual(2);
  expect(survivor.output()).toMatch(/model call completed/);

  // The zombie wakes up and finishes what it holds; the server refuses its late results.
  victim.child.kill('SIGCONT');
  await victim.waitForOutput(/model call (completed|failed|cancelled)/, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await historyEvents(jobId, ACTIVITY_TASK_COMPLETED)).toBe(1);
  const after = await requestJson<JobBody>(`${stack.apiUrl}/chat/${jobId}`);
  expect(after.body).toMatchObject({
    status: 'completed',
    response: job.response,
    attempts: job.attempts,
  });
  expect(stack.fake.callsForKey(key).length).toBeGreaterThanOrEqual(2);
});

it('SIGTERM lets an in-flight call finish within the grace time, then the worker exits 0', async () => {
  const worker = await activityWorker({ WORKER_SHUTDOWN_GRACE_MS: '20000' });
  const { jobId, key } = await submitSlow(15);
  await streamingWorkerPid(jobId, key);
  worker.child.kill('SIGTERM');
  expect(await worker.exited()).toEqual({ code: 0, signal: null });
  const job = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 30_000);
  expect(job.status).toBe('completed');
  expect(job.attempts).toBe(1);
  const calls = stack.fake.callsForKey(key);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.completed).toBe(true);
});

it('a call still running when the grace time ends is retried on another worker, not lost', async () => {
  // Both workers poll before the job exists (a worker started mid-call could take longer to start
  // than the call takes on a loaded machine); the one that picks the call up is the one stopped.
  const workers = [
    await activityWorker({ WORKER_SHUTDOWN_GRACE_MS: '500' }),
    await activityWorker({ WORKER_SHUTDOWN_GRACE_MS: '500' }),
  ];
  const { jobId, key } = await submitSlow(6);
  const pid = await streamingWorkerPid(jobId, key);
  const leaving = workers.find((worker) => worker.child.pid === pid)!;
  const staying = workers.find((worker) => worker !== leaving)!;
  expect(leaving).toBeDefined();
  leaving.child.kill('SIGTERM');
  expect(await leaving.exited()).toEqual({ code: 0, signal: null });
  const job = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 60_000);
  expect(job.status).toBe('completed');
  expect(job.attempts).toBe(2);
  const calls = stack.fake.callsForKey(key);
  expect(calls).toHaveLength(2);
  expect(calls[0]!.completed).toBe(false);
  expect(calls[1]!.completed).toBe(true);
  expect(staying.output()).toMatch(/model call completed/);
});
