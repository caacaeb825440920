import type Anthropic from '@anthropic-ai/sdk';

/**
 * Characters per token of the pre-call estimate. Claude's tokenizer averages 3.5–4 characters
 * per token on English text; 4 is the figure Anthropic's own documentation uses for estimates.
 */
export const CHARS_PER_TOKEN = 4;

/**
 * Input tokens of a Messages API request, estimated before it is sent: the characters of its
 * system prompt, messages and tool definitions as JSON, divided by {@link CHARS_PER_TOKEN}.
 * `messages.countTokens` would be exact but costs a network round trip per call (and a rate
 * limit of its own); JSON keys and quotes make this estimate err on the high side, which is the
 * safe side for a cost cap and a rate limit (the limiter corrects it with the call's real usage).
 */
export function estimateInputTokens(params: Anthropic.MessageStreamParams): number {
  let chars = JSON.stringify(params.messages).length;
  if (params.system !== undefined) chars += JSON.stringify(params.system).length;
  if (params.tools !== undefined) chars += JSON.stringify(params.tools).length;
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}
