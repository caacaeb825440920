/**
 * Long agent runs on demand: `[[fake tool=NAME tool_calls=N]]` in a user message makes the fake
 * ask for NAME again after each tool result, N times in all, before it answers. The directive is
 * read from the latest user message with text (later user messages only carry tool results).
 * Also the request digests of `recordRequests`.
 */
import { createHash } from 'node:crypto';
import { hasToolResults, lastUserMessage, textOf } from './conversation';
import { extractDirectives } from './directives';
import { type MessagesRequest } from './request-schema';
import { type FakeRequestDigest } from './types';

/** The next call of a `tool_calls=` chain, when the request is inside one that is not done. */
export function chainedToolCall(request: MessagesRequest): {
  chainedTool?: { name: string; input: Record<string, unknown> };
} {
  const last = lastUserMessage(request);
  if (!last || !hasToolResults(last.content)) return {};
  const messages = request.messages;
  let start = messages.length - 1;
  while (start >= 0) {
    const message = messages[start];
    if (message?.role === 'user' && textOf(message.content) !== '') break;
    start -= 1;
  }
  const origin = messages[start];
  if (!origin) return {};
  let directive;
  try {
    ({ directive } = extractDirectives(textOf(origin.content)));
  } catch {
    return {};
  }
  if (directive.toolCalls === undefined || directive.tool === undefined) return {};
  const done = messages
    .slice(start + 1)
    .filter((m) => m.role === 'user' && hasToolResults(m.content)).length;
  if (done >= directive.toolCalls) return {};
  return { chainedTool: { name: directive.tool, input: directive.toolInput ?? {} } };
}

/** Digest of a request body: equal digests, byte-identical requests. */
export function requestDigest(rawBody: string, request: MessagesRequest): FakeRequestDigest {
  return {
    sha256: createHash('sha256').update(rawBody).digest('hex'),
    bytes: Buffer.byteLength(rawBody),
    cacheControls: rawBody.split('"cache_control"').length - 1,
    messages: request.messages.length,
  };
}
