/**
 * Reading a validated request the way the fake "model" needs: conversation identity, the last
 * user turn, tool results, and a rough token count.
 */
import { createHash } from 'node:crypto';

import { type MessagesRequest, type RequestMessage } from './request-schema';

type Content = RequestMessage['content'];
type Block = Exclude<Content, string>[number];

/** A `tool_result` block of the last user message, with the name of the tool that produced it. */
export interface ToolResultInfo {
  toolUseId: string;
  /** Name of the matching `tool_use` in an earlier assistant message, if found. */
  toolName: string | undefined;
  content: string;
  isError: boolean;
}

/**
 * Identity of a conversation: the first 16 hex chars of sha256(JSON of {system, messages}).
 * A retried job sends the identical body, so its attempts share a key.
 */
export function conversationKey(request: MessagesRequest): string {
  const json = JSON.stringify({ system: request.system, messages: request.messages });
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

/** The last message with role `user`, if any. */
export function lastUserMessage(request: MessagesRequest): RequestMessage | undefined {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === 'user') return message;
  }
  return undefined;
}

/** Concatenated text of a message's string content or `text` blocks. */
export function textOf(content: Content): string {
  if (typeof content === 'string') return content;
  const parts: string[] = [];
  for (const block of content) {
    if (block.type === 'text' && typeof block['text'] === 'string') parts.push(block['text']);
  }
  return parts.join('\n');
}

/** Whether a message carries at least one `tool_result` block. */
export function hasToolResults(content: Content): boolean {
  return typeof content !== 'string' && content.some((block) => block.type === 'tool_result');
}

/** The `tool_result` blocks of `message`, resolved against earlier `tool_use` blocks. */
export function toolResultsOf(request: MessagesRequest, message: RequestMessage): ToolResultInfo[] {
  if (typeof message.content === 'string') return [];
  const toolNames = new Map<string, string>();
  for (const m of request.messages) {
    if (typeof m.content === 'string') continue;
    for (const block of m.content) {
      if (block.type === 'tool_use' && typeof block['id'] === 'string') {
        toolNames.set(block['id'], String(block['name']));
      }
    }
  }
  const results: ToolResultInfo[] = [];
  for (const block of message.content) {
    if (block.type !== 'tool_result') continue;
    const toolUseId = String(block['tool_use_id']);
    results.push({
      toolUseId,
      toolName: toolNames.get(toolUseId),
      content: toolResultContent(block['content']).trim(),
      isError: block['is_error'] === true,
    });
  }
  return results;
}

function toolResultContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string'
        ? part.text
        : '',
    )
    .filter((text) => text !== '')
    .join('\n');
}

/** Number of whitespace-separated words. */
export function countWords(text: string): number {
  let count = 0;
  const re = /\S+/g;
  while (re.exec(text) !== null) count++;
  return count;
}

function blockWords(block: Block): number {
  switch (block.type) {
    case 'text':
      return countWords(String(block['text']));
    case 'tool_use':
      return countWords(JSON.stringify(block['input'] ?? {}));
    case 'tool_result':
      return countWords(toolResultContent(block['content']));
    default:
      return 0;
  }
}

function contentWords(content: Content): number {
  if (typeof content === 'string') return countWords(content);
  let total = 0;
  for (const block of content) total += blockWords(block);
  return total;
}

/** Approximate input tokens: words in the system prompt and all messages (at least 1). */
export function countInputTokens(request: MessagesRequest): number {
  let total = request.system === undefined ? 0 : contentWords(request.system);
  for (const message of request.messages) total += contentWords(message.content);
  return Math.max(1, total);
}
