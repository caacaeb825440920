/**
 * A stack started on a USED state file: the previous stack finished jobs (so the user's usage
 * ledger lives on the workflow worker's sticky queue) and was SIGKILLed whole — server, workers,
 * API — while slow jobs were running. The new stack's first jobs must not pay for that: their
 * histories carry no workflow-task timeout or failure (the stall of issue 13 item 5 was a 10-s
 * workflow-task timeout), and the interrupted jobs complete.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { startLocalStack, type LocalStack } from '../src/stack/local-stack';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';

const EventType = temporal.api.enums.v1.EventType;

let tmp: string;
const stacks: LocalStack[] = [];

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'agent-fleet-restart-'));
});

afterAll(async () => {
  for (const stack of stacks) await stack.close().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

async function submit(stack: LocalStack, user: string, message: string): Promise<string> {
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: user,
    message,
  });
  expect(res.status).toBe(202);
  return res.body.job_id;
}

const finished = (stack: LocalStack, jobId: string) =>
  pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 120_000);

it('runs the first jobs after a SIGKILL of the whole stack without workflow-task timeouts', async () => {
  const dbFile = path.join(tmp, 'used.sqlite');
  const suffix = randomBytes(4).toString('hex');
  // The same queues on both runs, as `npm start` uses: the interrupted work is recovered from them.
  const env = {
    WORKFLOW_TASK_QUEUE: `recovery-wf-${suffix}`,
    ACTIVITY_TASK_QUEUE: `recovery-claude-${suffix}`,
    TOOL_TASK_QUEUE: `recovery-tools-${suffix}`,
  };
  const user = `restart-${suffix}`;

  const before = await startLocalStack({
    temporal: { kind: 'dev', dbFile },
    activityWorkers: 1,
    env,
  });
  stacks.push(before);
  const done = await Promise.all(
    Array.from({ length: 8 }, async (_, i) =>
      finished(before, await submit(before, user, `Hi ${i}`)),
    ),
  );
  expect(done.map((job) => job.status)).toEqual(Array(8).fill('completed'));
  const interrupted = await Promise.all(
    Array.from({ length: 3 }, (_, i) => submit(before, user, `Slow ${i} [[fake latency_ms=8000]]`)),
  );
  for (const jobId of interrupted)
    await pollUntil<JobBody>(`${before.apiUrl}/chat/${jobId}`, (j) => j.status === 'processing');

  // Nothing gets to shut down gracefully: no worker tells the server its sticky queue is gone.
  await Promise.all(
    [before.workflowWorker, ...before.activityWorkers, before.api, before.fake].map((p) =>
      p.signal('SIGKILL'),
    ),
  );
  await before.killTemporal();
  await before.close();

  const after = await startLocalStack({
    temporal: { kind: 'dev', dbFile },
    activityWorkers: 1,
    env,
  });
  stacks.push(after);
  const firstJobs = await Promise.all(
    Array.from({ length: 8 }, (_, i) => submit(after, user, `After ${i}`)),
  );
  for (const jobId of firstJobs) expect((await finished(after, jobId)).status).toBe('completed');
  for (const jobId of interrupted) expect((await finished(after, jobId)).status).toBe('completed');

  for (const jobId of firstJobs) {
    const history = await after.client.workflow.getHandle(jobId).fetchHistory();
    const types = (history.events ?? []).map((e) => EventType[e.eventType ?? 0]);
    expect(types).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(types).not.toContain('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT');
    expect(types).not.toContain('EVENT_TYPE_WORKFLOW_TASK_FAILED');
  }
});
