/**
 * Exactly-once evidence from Temporal itself: the number of ActivityTaskCompleted events in each
 * job's workflow history. A result the server accepted twice would show as two events.
 */
import type { Client } from '@temporalio/client';

const CONCURRENCY = 8;

/** ActivityTaskCompleted count per job id (a job whose history cannot be read maps to -1). */
export async function countActivityCompletions(
  client: Client,
  jobIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < jobIds.length) {
      const jobId = jobIds[next++]!;
      try {
        const history = await client.workflow.getHandle(jobId).fetchHistory();
        out.set(
          jobId,
          (history.events ?? []).filter((event) => event.activityTaskCompletedEventAttributes)
            .length,
        );
      } catch {
        out.set(jobId, -1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}
