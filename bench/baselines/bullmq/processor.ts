/**
 * The baseline's job processor: the same streaming Messages API call as our activity (through
 * the same SDK client settings: no SDK retries), with BullMQ doing the retrying.
 */
import Anthropic from '@anthropic-ai/sdk';
import { UnrecoverableError, type BackoffStrategy, type Job } from 'bullmq';
import { createAnthropicClient } from '../../../src/activities/anthropic-client';
import { parseRetryAfterMs } from '../../../src/activities/retry-after';
import type { BullmqSettings } from './config';

/** Backoff type of every baseline job: exponential, or the model's `retry-after` when it sent one. */
export const RETRY_AFTER_BACKOFF = 'retry-after';

/** A failed call that carries the delay the model asked for (429/529 `retry-after`). */
export class RetryAfterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'RetryAfterError';
  }
}

/**
 * BullMQ's custom backoff (worker `settings.backoffStrategy`): the `retry-after` of the failed
 * call if it had one (as our activity's `nextRetryDelay`), else exponential from the job's
 * `backoff.delay` (BullMQ's own `exponential`: delay × 2^(attempts − 1)).
 */
export const retryAfterBackoff: BackoffStrategy = (attemptsMade, _type, err, job) => {
  if (err instanceof RetryAfterError && err.retryAfterMs !== undefined) return err.retryAfterMs;
  const backoff = job?.opts.backoff;
  const delay = typeof backoff === 'object' ? (backoff.delay ?? 1_000) : (backoff ?? 1_000);
  return Math.round(2 ** Math.max(0, attemptsMade - 1) * delay);
};

/** Data stored with each job. */
export interface ChatJobData {
  user_id: string;
  message: string;
  priority: number;
  submitted_at: string;
}

/** A job's return value. */
export interface ChatJobResult {
  text: string;
  usage: { input_tokens: number; output_tokens: number };
  model: string;
  started_at: string;
  finished_at: string;
}

/** Statuses that no retry can fix (as our classification: fail at once). */
const PERMANENT = new Set([400, 401, 403, 404, 413, 422]);

/** Creates the processor function a BullMQ Worker runs. */
export function createChatProcessor(settings: BullmqSettings) {
  const anthropic = createAnthropicClient({
    apiKey: settings.ANTHROPIC_API_KEY,
    baseURL: settings.ANTHROPIC_BASE_URL,
    timeoutMs: settings.CLAUDE_ATTEMPT_TIMEOUT_MS,
  });
  return async (job: Job<ChatJobData, ChatJobResult>): Promise<ChatJobResult> => {
    const startedAt = new Date().toISOString();
    try {
      const stream = anthropic.messages.stream({
        model: settings.CLAUDE_MODEL,
        max_tokens: settings.CLAUDE_MAX_TOKENS,
        messages: [{ role: 'user', content: job.data.message }],
      });
      const message = await stream.finalMessage();
      const text = message.content
        .map((block) => (block.type === 'text' ? block.text : ''))
        .join('');
      return {
        text,
        usage: {
          input_tokens: message.usage.input_tokens,
          output_tokens: message.usage.output_tokens,
        },
        model: message.model,
        started_at: startedAt,
        finished_at: new Date().toISOString(),
      };
    } catch (err) {
      const status: unknown = err instanceof Anthropic.APIError ? err.status : undefined;
      if (typeof status === 'number' && PERMANENT.has(status))
        throw new UnrecoverableError(`${status}: ${(err as Error).message}`);
      if (err instanceof Anthropic.APIError)
        throw new RetryAfterError(
          err.message,
          parseRetryAfterMs(err.headers as Headers | undefined),
        );
      throw err;
    }
  };
}
