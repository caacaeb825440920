/** Records the load generator keeps per request, and the live counters it reports. */
import type { MessageKind } from './workload';

/** Final job statuses of the chat API. */
export const FINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const;

/** Everything known about one request, from send to final status. */
export interface JobRecord {
  seq: number;
  userId: string;
  priority: 'high' | 'medium' | 'normal';
  kind: MessageKind;
  key: string;
  expected?: string;
  fault?: string;
  /** ms since the run started when the POST was issued. */
  sentAt: number;
  /** POST round trip in ms (any answer). */
  acceptMs?: number;
  /** HTTP status of the POST; 0 = no HTTP answer. */
  httpStatus?: number;
  /** `status error_code` (e.g. `429 rate_limited`) or `network ECONNREFUSED` for refusals. */
  refusal?: string;
  jobId?: string;
  /** Server timestamps (ISO) from the 202 and the final GET. */
  submittedAt?: string;
  startedAt?: string;
  completedAt?: string;
  /** Final status from GET /chat/:id once finished. */
  status?: string;
  errorType?: string;
  attempts?: number;
  response?: string;
  /** ms since the run started when the poller saw the final status. */
  detectedAt?: number;
  /** Whether the response contains the expected answer (arithmetic only). */
  correct?: boolean;
}

/** Live counters for the progress display. */
export interface LiveCounters {
  elapsedMs: number;
  planned: number;
  sent: number;
  accepted: number;
  refused: number;
  completed: number;
  failed: number;
  /** Accepted and not yet seen finished. */
  pending: number;
  /** Sends per second over the last second. */
  currentRate: number;
  phase: 'sending' | 'draining' | 'done';
}
