import type { JobView } from './schemas';

/** True once a job has reached a status it never leaves. */
export function isFinalStatus(status: JobView['status']): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/**
 * Polls a job until it finishes or `waitMs` passes, for `POST /chat?wait=`. The first reads come
 * fast (a job answered from a warm fleet finishes in well under a second) and back off to 500 ms;
 * each read is a `describe` (plus a query while running), never a replay.
 *
 * @returns the last view read (finished or not), or undefined if the job was never found.
 */
export async function waitForJob(
  read: (jobId: string) => Promise<JobView | undefined>,
  jobId: string,
  waitMs: number,
): Promise<JobView | undefined> {
  const deadline = Date.now() + waitMs;
  let delay = 50;
  let view: JobView | undefined;
  for (;;) {
    view = await read(jobId);
    if (view && isFinalStatus(view.status)) return view;
    const left = deadline - Date.now();
    if (left <= 0) return view;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    delay = Math.min(delay * 2, 500);
  }
}
