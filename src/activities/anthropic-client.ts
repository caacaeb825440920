import Anthropic from '@anthropic-ai/sdk';

/** Connection settings for the Messages API (real or our fake). */
export interface AnthropicClientSettings {
  apiKey?: string;
  baseURL?: string;
  /** Per-attempt HTTP timeout; Temporal's start-to-close bounds the attempt too. */
  timeoutMs: number;
}

/**
 * Creates the Anthropic client used by activity workers. `maxRetries: 0` because Temporal is the
 * only retrier: SDK retries would hide attempts from the retry policy and double the waits.
 */
export function createAnthropicClient(settings: AnthropicClientSettings): Anthropic {
  return new Anthropic({
    // The fake model server only checks that a key is present.
    apiKey: settings.apiKey ?? 'agent-fleet-no-key',
    baseURL: settings.baseURL,
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}
