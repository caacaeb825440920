/**
 * Deterministic replies. The same request always yields the same content, so tests can assert on
 * it and retries of a job are indistinguishable from the first attempt.
 */
import { createHash } from 'node:crypto';

import { findArithmetic } from './arithmetic';
import { hasToolResults, lastUserMessage, toolResultsOf } from './conversation';
import { type MessagesRequest } from './request-schema';

/** Name of the tool the fake knows how to call. */
export const CALCULATOR_TOOL = 'calculator';

/** Longest slice of the user's text echoed back. */
const ECHO_MAX_CHARS = 200;

/** Size of the `input_json_delta` pieces of a streamed tool call. */
const JSON_CHUNK_CHARS = 8;

/** A content block of the reply, pre-split into the deltas that stream it (one output token each). */
export type ReplyBlock =
  | { type: 'text'; text: string; chunks: string[] }
  | {
      type: 'tool_use';
      id: string;
      name: string;
      input: Record<string, unknown>;
      chunks: string[];
    };

/** Why the reply ended, as in the API's `stop_reason`. */
export type ReplyStopReason = 'end_turn' | 'tool_use' | 'max_tokens';

/** The full reply to one request. */
export interface PlannedReply {
  blocks: ReplyBlock[];
  stopReason: ReplyStopReason;
  /** Number of deltas, reported as `usage.output_tokens`. */
  outputTokens: number;
}

/** What {@link planReply} needs to know about a request. */
export interface ReplyInput {
  request: MessagesRequest;
  /** Conversation key, used to derive stable tool_use ids. */
  key: string;
  /** Last user text with directives stripped. */
  lastUserText: string;
  /** Text to use for every text reply instead of the computed one. */
  fixedReply: string | undefined;
  /** A tool call the directive forces (`tool=`, `tool_input=`), unless tool_choice is none. */
  forcedTool?: { name: string; input: Record<string, unknown> };
  /** The next call of a `tool_calls=` chain (see tool-chain.ts), unless tool_choice is none. */
  chainedTool?: { name: string; input: Record<string, unknown> };
}

/**
 * Decide the reply: an answer to tool results, a calculator call, a fixed reply, an arithmetic
 * answer or an echo, truncated to `max_tokens`.
 */
export function planReply(input: ReplyInput): PlannedReply {
  const { request, fixedReply, lastUserText } = input;
  const last = lastUserMessage(request);

  if (input.chainedTool && request.tool_choice?.type !== 'none') {
    return finish(
      [
        textBlock(`Let me use ${input.chainedTool.name} again.`),
        toolUseBlock(input.key, input.chainedTool.name, input.chainedTool.input),
      ],
      'tool_use',
      request,
    );
  }

  if (last && hasToolResults(last.content)) {
    return finish([textBlock(fixedReply ?? answerToolResults(request, last))], 'end_turn', request);
  }

  if (input.forcedTool && request.tool_choice?.type !== 'none') {
    return finish(
      [
        textBlock(`Let me use ${input.forcedTool.name}.`),
        toolUseBlock(input.key, input.forcedTool.name, input.forcedTool.input),
      ],
      'tool_use',
      request,
    );
  }

  const arithmetic = findArithmetic(lastUserText);
  if (arithmetic && wantsCalculator(request)) {
    return finish(
      [
        textBlock('Let me calculate that.'),
        toolUseBlock(input.key, CALCULATOR_TOOL, { expression: arithmetic.expression }),
      ],
      'tool_use',
      request,
    );
  }

  let text: string;
  if (fixedReply !== undefined) {
    text = fixedReply;
  } else if (arithmetic) {
    text =
      arithmetic.result === undefined
        ? `${arithmetic.expression} is undefined (division by zero).`
        : `${arithmetic.expression} = ${arithmetic.result}`;
  } else {
    const echoed = lastUserText.trim().slice(0, ECHO_MAX_CHARS);
    text = `You said: "${echoed}". I have seen ${request.messages.length} messages in this conversation.`;
  }
  return finish([textBlock(text)], 'end_turn', request);
}

/** Split text into ~1-word deltas whose concatenation is exactly `text`. */
export function splitWords(text: string): string[] {
  const chunks = text.match(/\S+\s*/g) ?? [];
  const lead = /^\s+/.exec(text)?.[0];
  if (lead !== undefined) {
    if (chunks.length === 0) return [lead];
    chunks[0] = lead + (chunks[0] ?? '');
  }
  return chunks;
}

/** A tool call with a stable id (derived from the conversation), streamed as JSON pieces. */
function toolUseBlock(key: string, name: string, toolInput: Record<string, unknown>): ReplyBlock {
  const json = JSON.stringify(toolInput);
  const hash = createHash('sha256').update(`${key}\n${name}\n${json}`).digest('hex');
  const chunks: string[] = [];
  for (let i = 0; i < json.length; i += JSON_CHUNK_CHARS) {
    chunks.push(json.slice(i, i + JSON_CHUNK_CHARS));
  }
  return {
    type: 'tool_use',
    id: `toolu_fake_${hash.slice(0, 24)}`,
    name,
    input: toolInput,
    chunks,
  };
}

function textBlock(text: string): ReplyBlock {
  return { type: 'text', text, chunks: splitWords(text) };
}

function wantsCalculator(request: MessagesRequest): boolean {
  if (request.tool_choice?.type === 'none') return false;
  return request.tools?.some((tool) => tool.name === CALCULATOR_TOOL) ?? false;
}

function answerToolResults(
  request: MessagesRequest,
  last: NonNullable<ReturnType<typeof lastUserMessage>>,
): string {
  const results = toolResultsOf(request, last);
  const failed = results.find((r) => r.isError);
  if (failed) {
    return `The ${failed.toolName ?? 'tool'} tool failed: ${stripPeriod(failed.content) || 'no details'}.`;
  }
  if (results.length === 1) return `The answer is ${stripPeriod(results[0]?.content ?? '')}.`;
  return `The results are: ${results.map((r) => stripPeriod(r.content)).join('; ')}.`;
}

function stripPeriod(text: string): string {
  return text.replace(/\.+$/, '');
}

/** Truncate to `max_tokens` deltas the way the real API stops mid-reply. */
function finish(
  blocks: ReplyBlock[],
  stopReason: ReplyStopReason,
  request: MessagesRequest,
): PlannedReply {
  let budget = request.max_tokens;
  const kept: ReplyBlock[] = [];
  let truncated = false;
  for (const block of blocks) {
    if (block.chunks.length <= budget) {
      kept.push(block);
      budget -= block.chunks.length;
      continue;
    }
    truncated = true;
    // A half-written tool call would be unparseable JSON: drop it rather than send it.
    if (block.type === 'text' && budget > 0) {
      const chunks = block.chunks.slice(0, budget);
      kept.push({ type: 'text', text: chunks.join(''), chunks });
    }
    break;
  }
  const outputTokens = kept.reduce((sum, block) => sum + block.chunks.length, 0);
  return { blocks: kept, stopReason: truncated ? 'max_tokens' : stopReason, outputTokens };
}
