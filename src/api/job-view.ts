import type { ChatJobState, PriorityLevel } from '../shared';
import type { JobView } from './schemas';

/** Job facts recorded in the workflow memo at submission, readable without any worker. */
export interface JobMemo {
  user_id: string;
  priority: PriorityLevel;
  submitted_at: string;
  /** Fingerprint of the request body, to detect an Idempotency-Key reused with another body. */
  request_hash?: string;
}

/** Converts the workflow's state into the public, snake_case job view. */
export function toJobView(state: ChatJobState): JobView {
  return {
    job_id: state.jobId,
    user_id: state.userId,
    status: state.status,
    ...(state.response !== undefined ? { response: state.response } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.usage ? { usage: state.usage } : {}),
    ...(state.model ? { model: state.model } : {}),
    attempts: state.attempts,
    priority: state.priority,
    submitted_at: state.submittedAt,
    ...(state.startedAt ? { started_at: state.startedAt } : {}),
    ...(state.completedAt ? { completed_at: state.completedAt } : {}),
    ...(state.truncated ? { truncated: true } : {}),
  };
}

/** A minimal state from the memo, for when the workflow itself cannot be asked. */
export function stateFromMemo(jobId: string, memo: JobMemo): ChatJobState {
  return {
    jobId,
    userId: memo.user_id,
    status: 'queued',
    priority: memo.priority,
    submittedAt: memo.submitted_at,
    attempts: 0,
  };
}
