/**
 * Patch ids used with `patched()` in workflow code. Each marks a change to the commands a
 * workflow emits; histories recorded before the change replay down the old branch. Once no
 * workflow started before a patch is still open, switch its call to `deprecatePatch()`, and
 * later remove both the branch and the id. Never reuse an id.
 */
export const WORKFLOW_PATCHES = {
  /** Cancelled jobs wait until the model call is really aborted (WAIT_CANCELLATION_COMPLETED). */
  waitForCancellation: 'wait-for-cancellation-completed-v1',
} as const;
