/**
 * Writing responses: JSON bodies, error bodies and paced server-sent event streams. Every wait is
 * abortable so a client that goes away, or a server that closes, leaves no timer behind.
 */
import { type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

import { type PlannedReply } from './reply';
import {
  PING_EVENT,
  blockDeltaEvent,
  blockStartEvent,
  blockStopEvent,
  errorBody,
  errorEvent,
  type MessageHeader,
  messageEndEvents,
  messageStartEvent,
} from './wire';

/** Pacing of one response. */
export interface Timing {
  latencyMs: number;
  ttftMs: number;
  /** Output tokens per second; 0 = unpaced. */
  tps: number;
}

/** How a streamed reply ends. */
export type StreamEnding =
  /** The full reply. */
  | { kind: 'complete' }
  /** After `afterTokens` deltas, destroy the connection. */
  | { kind: 'reset'; afterTokens: number }
  /** After `afterTokens` deltas, an SSE error event, then a clean end of the HTTP response. */
  | { kind: 'error'; afterTokens: number; type: string; message: string };

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/**
 * Wait `ms` unless `signal` fires first.
 *
 * @returns false if aborted (the caller must stop writing).
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Send a JSON body with an explicit length (lets keep-alive clients reuse the socket cheaply). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Send an API error in the real shape; `retryAfterS` adds a `retry-after` header. */
export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  retryAfterS?: number,
): void {
  sendJson(
    res,
    status,
    errorBody(type, message),
    retryAfterS === undefined ? {} : { 'retry-after': String(retryAfterS) },
  );
}

interface StreamEvent {
  text: string;
  /** True for deltas: they are the paced output tokens. */
  token: boolean;
}

/** The event sequence after message_start, in the real API's order. */
function replyEvents(reply: PlannedReply, inputTokens: number): StreamEvent[] {
  const events: StreamEvent[] = [];
  reply.blocks.forEach((block, index) => {
    events.push({ text: blockStartEvent(index, block), token: false });
    // The real API sends its ping right after the first content_block_start.
    if (index === 0) events.push({ text: PING_EVENT, token: false });
    for (const chunk of block.chunks) {
      events.push({ text: blockDeltaEvent(index, block, chunk), token: true });
    }
    events.push({ text: blockStopEvent(index), token: false });
  });
  if (reply.blocks.length === 0) events.push({ text: PING_EVENT, token: false });
  events.push({ text: messageEndEvents(reply, inputTokens), token: false });
  return events;
}

/**
 * Stream `reply` as SSE after `timing.latencyMs`, with `ttftMs` before the first delta and deltas
 * paced at `tps`. Consecutive events due at the same time are written together, so an unpaced
 * stream costs a single write.
 *
 * @returns true if the whole stream was written (the `complete` ending only).
 */
export async function streamReply(
  res: ServerResponse,
  header: MessageHeader,
  reply: PlannedReply,
  timing: Timing,
  ending: StreamEnding,
  signal: AbortSignal,
): Promise<boolean> {
  if (!(await sleep(timing.latencyMs, signal))) return false;
  if (res.destroyed) return false;
  res.writeHead(200, SSE_HEADERS);

  const intervalMs = timing.tps > 0 ? 1000 / timing.tps : 0;
  const cutAfter = ending.kind === 'complete' ? Infinity : ending.afterTokens;
  let pending = messageStartEvent(header);
  let tokens = 0;
  let firstTokenAt = 0;

  const flush = (): boolean => {
    if (res.destroyed) return false;
    if (pending !== '') res.write(pending);
    pending = '';
    return true;
  };

  for (const event of replyEvents(reply, header.inputTokens)) {
    if (event.token) {
      if (tokens >= cutAfter) break;
      if (tokens === 0) {
        if (timing.ttftMs > 0) {
          if (!flush() || !(await sleep(timing.ttftMs, signal))) return false;
        }
        firstTokenAt = performance.now();
      } else if (intervalMs > 0) {
        // Schedule against the first token so timer jitter does not accumulate.
        const wait = firstTokenAt + tokens * intervalMs - performance.now();
        if (wait >= 1) {
          if (!flush() || !(await sleep(wait, signal))) return false;
        }
      }
      tokens++;
    }
    pending += event.text;
  }
  if (res.destroyed || signal.aborted) return false;

  switch (ending.kind) {
    case 'complete':
      res.end(pending);
      return true;
    case 'error':
      res.end(pending + errorEvent(ending.type, ending.message));
      return false;
    case 'reset': {
      // Let the partial stream reach the client first, then drop the connection mid-body.
      const socket = res.socket;
      res.write(pending, () => socket?.destroy());
      return false;
    }
  }
}
