/** The bare-Temporal ceiling: a workflow that runs one no-op activity and returns its start time. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<number> }>({ startToCloseTimeout: '30s' });

/** One no-op activity; returns the epoch ms at which the activity started. */
export async function bareWorkflow(): Promise<number> {
  return await noop();
}
