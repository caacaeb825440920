/**
 * Open-loop driver of the bare ceiling: starts `bareWorkflow` at a fixed rate straight through
 * the Temporal client (no API), and measures queue wait = activity start − submission, the same
 * definition as the API's started_at − submitted_at.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { summarize, type Summary } from '../../src/loadtest/stats';
import { ManagedProcess } from '../../src/stack/managed-process';

/** Starts the bare worker process on `taskQueue`. */
export async function startBareWorker(
  address: string,
  namespace: string,
  taskQueue: string,
): Promise<ManagedProcess> {
  const worker = new ManagedProcess({
    name: 'bare-worker',
    script: path.join(__dirname, '..', 'bare', 'worker.js'),
    env: {
      ...process.env,
      BARE_TEMPORAL_ADDRESS: address,
      BARE_NAMESPACE: namespace,
      BARE_TASK_QUEUE: taskQueue,
    },
  });
  worker.start();
  await worker.waitForOutput(/bare worker polling/, 120_000);
  return worker;
}

/** Result of one rate step. */
export interface BareStep {
  rate: number;
  sent: number;
  completed: number;
  failed: number;
  queueWaitMs: Summary;
  endToEndMs: Summary;
}

/** Runs `rate` workflows/s for `durationS`, waiting up to 60 s for the last ones. */
export async function runBareStep(
  client: Client,
  taskQueue: string,
  rate: number,
  durationS: number,
): Promise<BareStep> {
  const total = Math.round(rate * durationS);
  const waits: number[] = [];
  const e2e: number[] = [];
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i += 1) {
    const wait = (i * 1_000) / rate - (performance.now() - t0);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const submitted = Date.now();
    pending.push(
      client.workflow
        .execute('bareWorkflow', {
          taskQueue,
          workflowId: `bare-${randomUUID()}`,
          workflowExecutionTimeout: '60s',
        })
        .then(
          (activityStart: number) => {
            waits.push(activityStart - submitted);
            e2e.push(Date.now() - submitted);
          },
          () => {
            failed += 1;
          },
        ),
    );
  }
  await Promise.all(pending);
  return {
    rate,
    sent: total,
    completed: waits.length,
    failed,
    queueWaitMs: summarize(waits),
    endToEndMs: summarize(e2e),
  };
}
