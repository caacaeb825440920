/**
 * Wire shapes of the Anthropic Messages API, as read by `@anthropic-ai/sdk`: error bodies,
 * message objects and server-sent events.
 */
import { type PlannedReply, type ReplyBlock } from './reply';

/** Error `type` and default message the real API uses for each status. */
const ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request (scripted by fake-claude)' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: {
    type: 'billing_error',
    message: 'Your credit balance is too low to access the Anthropic API.',
  },
  403: {
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  404: { type: 'not_found_error', message: 'Not found' },
  408: { type: 'timeout_error', message: 'Request timed out' },
  409: { type: 'conflict_error', message: 'Conflict' },
  413: {
    type: 'request_too_large',
    message: 'Request exceeds the maximum allowed number of bytes.',
  },
  422: {
    type: 'invalid_request_error',
    message: 'Unprocessable request (scripted by fake-claude)',
  },
  429: {
    type: 'rate_limit_error',
    message: 'Number of request tokens has exceeded your per-minute rate limit',
  },
  500: { type: 'api_error', message: 'Internal server error' },
  502: { type: 'api_error', message: 'Bad gateway' },
  503: { type: 'api_error', message: 'Service unavailable' },
  504: { type: 'timeout_error', message: 'Gateway timeout' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

const FALLBACK_SERVER_ERROR = { type: 'api_error', message: 'Internal server error' };
const FALLBACK_CLIENT_ERROR = { type: 'invalid_request_error', message: 'Invalid request' };

/** Message of a scripted `spend` step: the API's wording for a workspace usage limit. */
export const SPEND_LIMIT_MESSAGE =
  'You have reached your specified workspace API usage limits. You will regain access on the first of next month.';

/** The error `type` and default message for `status`. */
export function errorFor(status: number): { type: string; message: string } {
  return ERRORS[status] ?? (status >= 500 ? FALLBACK_SERVER_ERROR : FALLBACK_CLIENT_ERROR);
}

/** JSON error body: `{"type":"error","error":{"type":...,"message":...}}`. */
export function errorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/** One server-sent event in the API's framing: `event: X\ndata: {...}\n\n`. */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Fields every message object shares, streaming or not. */
export interface MessageHeader {
  id: string;
  model: string;
  inputTokens: number;
}

function usage(inputTokens: number, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: null,
    server_tool_use: null,
    service_tier: 'standard',
  };
}

function blockJson(block: ReplyBlock, streaming: boolean): Record<string, unknown> {
  if (block.type === 'text') {
    return { type: 'text', text: streaming ? '' : block.text, citations: null };
  }
  return {
    type: 'tool_use',
    id: block.id,
    name: block.name,
    // A streamed tool call starts empty and is filled by input_json_delta events.
    input: streaming ? {} : block.input,
    caller: { type: 'direct' },
  };
}

function messageJson(
  header: MessageHeader,
  content: Record<string, unknown>[],
  stopReason: string | null,
  outputTokens: number,
): Record<string, unknown> {
  return {
    id: header.id,
    type: 'message',
    role: 'assistant',
    model: header.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: usage(header.inputTokens, outputTokens),
  };
}

/** Body of a successful non-streaming response. */
export function messageBody(header: MessageHeader, reply: PlannedReply): string {
  return JSON.stringify(
    messageJson(
      header,
      reply.blocks.map((block) => blockJson(block, false)),
      reply.stopReason,
      reply.outputTokens,
    ),
  );
}

/** `message_start`: empty content, input usage, and output_tokens 1 like the real API. */
export function messageStartEvent(header: MessageHeader): string {
  return sseEvent('message_start', {
    type: 'message_start',
    message: messageJson(header, [], null, 1),
  });
}

/** `ping` keep-alive event. */
export const PING_EVENT = sseEvent('ping', { type: 'ping' });

/** `content_block_start` for block `index`. */
export function blockStartEvent(index: number, block: ReplyBlock): string {
  return sseEvent('content_block_start', {
    type: 'content_block_start',
    index,
    content_block: blockJson(block, true),
  });
}

/** `content_block_delta` carrying one chunk of block `index`. */
export function blockDeltaEvent(index: number, block: ReplyBlock, chunk: string): string {
  const delta =
    block.type === 'text'
      ? { type: 'text_delta', text: chunk }
      : { type: 'input_json_delta', partial_json: chunk };
  return sseEvent('content_block_delta', { type: 'content_block_delta', index, delta });
}

/** `content_block_stop` for block `index`. */
export function blockStopEvent(index: number): string {
  return sseEvent('content_block_stop', { type: 'content_block_stop', index });
}

/** `message_delta` (stop reason and output usage) followed by `message_stop`. */
export function messageEndEvents(reply: PlannedReply, inputTokens: number): string {
  return (
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: {
        stop_reason: reply.stopReason,
        stop_sequence: null,
        stop_details: null,
        container: null,
      },
      usage: {
        input_tokens: inputTokens,
        output_tokens: reply.outputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        server_tool_use: null,
      },
    }) + sseEvent('message_stop', { type: 'message_stop' })
  );
}

/** SSE `error` event, as the API sends when it fails after the stream started. */
export function errorEvent(type: string, message: string): string {
  return `event: error\ndata: ${errorBody(type, message)}\n\n`;
}
