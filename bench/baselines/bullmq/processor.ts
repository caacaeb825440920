/**
 * The baseline's job processor: the same streaming Messages API call as our activity (through
 * the same SDK client settings: no SDK retries), with BullMQ doing the retrying.
 */
import Anthropic from '@anthropic-ai/sdk';
import { UnrecoverableError, type Job } from 'bullmq';
import { createAnthropicClient } from '../../../src/activities/anthropic-client';
import type { BullmqSettings } from './config';

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
      throw err;
    }
  };
}
