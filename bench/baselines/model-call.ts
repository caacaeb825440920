/**
 * The model call every peer baseline makes: the same streaming Messages API call as our activity
 * (same SDK client settings: no SDK retries, so the system under test does all the retrying),
 * with failures classified the way our activity classifies them.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropicClient } from '../../src/activities/anthropic-client';
import { parseRetryAfterMs } from '../../src/activities/retry-after';
import type { ChatJobResult } from './contract';

/** Statuses that no retry can fix (as our classification: fail at once). */
const PERMANENT = new Set([400, 401, 403, 404, 413, 422]);

/** A failed call: permanent (do not retry) or retryable, with the model's `retry-after` if any. */
export class ModelCallError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
}

/** Model settings shared by the baselines' configs. */
export interface ModelSettings {
  ANTHROPIC_BASE_URL?: string;
  ANTHROPIC_API_KEY?: string;
  CLAUDE_MODEL: string;
  CLAUDE_MAX_TOKENS: number;
  CLAUDE_ATTEMPT_TIMEOUT_MS: number;
}

/** A function that makes one attempt of the call; `attempt` is reported in the result. */
export type ModelCall = (message: string, attempt: number) => Promise<ChatJobResult>;

/** Creates the call function over one SDK client. */
export function createModelCall(settings: ModelSettings): ModelCall {
  const anthropic = createAnthropicClient({
    apiKey: settings.ANTHROPIC_API_KEY,
    baseURL: settings.ANTHROPIC_BASE_URL,
    timeoutMs: settings.CLAUDE_ATTEMPT_TIMEOUT_MS,
  });
  return async (content, attempt) => {
    const startedAt = new Date().toISOString();
    try {
      const stream = anthropic.messages.stream({
        model: settings.CLAUDE_MODEL,
        max_tokens: settings.CLAUDE_MAX_TOKENS,
        messages: [{ role: 'user', content }],
      });
      const message = await stream.finalMessage();
      return {
        text: message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
        usage: {
          input_tokens: message.usage.input_tokens,
          output_tokens: message.usage.output_tokens,
        },
        model: message.model,
        started_at: startedAt,
        finished_at: new Date().toISOString(),
        attempts: attempt,
      };
    } catch (err) {
      if (err instanceof Anthropic.APIError) {
        const status: unknown = err.status;
        const permanent = typeof status === 'number' && PERMANENT.has(status);
        throw new ModelCallError(
          `${typeof status === 'number' ? status : 'error'}: ${err.message}`,
          permanent,
          permanent ? undefined : parseRetryAfterMs(err.headers as Headers | undefined),
        );
      }
      throw err;
    }
  };
}

/** Our retry policy's defaults (CLAUDE_MAX_ATTEMPTS, CLAUDE_INITIAL_RETRY_MS, …, coefficient 2). */
export const OUR_RETRY_POLICY = {
  maxAttempts: 20,
  initialIntervalMs: 1_000,
  maxIntervalMs: 30_000,
  backoffCoefficient: 2,
} as const;
