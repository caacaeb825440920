/**
 * `POST /v1/messages`: validate, identify the conversation, pick a failure step or a reply, and
 * write it, recording everything in the call log.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type AttemptCounter } from './attempt-counter';
import { type CallLog } from './call-log';
import { conversationKey, countInputTokens, lastUserMessage, textOf } from './conversation';
import { DirectiveError, extractDirectives } from './directives';
import { type FailureStep } from './failure-script';
import { type ResolvedOptions } from './options';
import { type RateLimiter } from './rate-limits';
import { planReply } from './reply';
import { parseMessagesRequest } from './request-schema';
import { sendError, sendJson, sleep, streamReply, type Timing } from './responder';
import { chooseStep, failureOutcome } from './step-choice';
import { chainedToolCall, requestDigest } from './tool-chain';
import { type FakeCall } from './types';
import { SPEND_LIMIT_MESSAGE, errorFor, messageBody } from './wire';

/** Mutable state shared by all requests of one server. */
export interface FakeState {
  options: ResolvedOptions;
  log: CallLog;
  attempts: AttemptCounter;
  /** Seeded PRNG for fault rates (replaced on reset). */
  random: () => number;
  /** Per-minute limits and their headers (replaced on reset). */
  limiter: RateLimiter;
}

/** One HTTP exchange as seen by the handler. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
  /** Sequence number of the request, used for the message id. */
  sequence: number;
}

/** Deltas a scripted reset or stream error lets through before failing. */
const PARTIAL_TOKENS = 2;

/** A call-log record for a request that has not been understood yet. */
export function newCall(stream = false): FakeCall {
  return {
    key: '',
    attempt: 0,
    at: new Date().toISOString(),
    stream,
    outcome: 'bad_request',
    completed: false,
    aborted: false,
    inputTokens: 0,
    outputTokens: 0,
    model: '',
    lastUserText: '',
    status: 0,
  };
}

/** Whether the request carries a key the way the SDK sends one (`x-api-key` or a bearer token). */
export function hasApiKey(req: IncomingMessage): boolean {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.trim() !== '') return true;
  const auth = req.headers.authorization;
  return typeof auth === 'string' && /^Bearer\s+\S/i.test(auth);
}

/**
 * Handle a `POST /v1/messages` whose body has been read (authentication is checked by the caller).
 * Never throws for bad input: every problem becomes an API error response.
 */
export async function handleMessages(
  state: FakeState,
  ex: Exchange,
  rawBody: string,
): Promise<void> {
  const { res, signal } = ex;
  const call = newCall();
  state.log.add(call);
  // Set when the fake itself drops the connection, so that is not mistaken for a client abort.
  let deliberateClose = false;
  res.once('close', () => {
    if (!res.writableFinished && !deliberateClose) call.aborted = true;
  });
  const fail = (status: number, type: string, message: string, retryAfterS?: number): void => {
    call.status = status;
    sendError(res, status, type, message, retryAfterS);
  };

  const parsed = parseMessagesRequest(rawBody);
  if (!parsed.ok) return fail(400, 'invalid_request_error', parsed.message);
  const request = parsed.value;
  call.stream = request.stream === true;
  call.model = request.model;
  call.inputTokens = countInputTokens(request);
  if (request.tools && request.tools.length > 0) call.tools = request.tools.map((t) => t.name);
  if (state.options.recordRequests) call.request = requestDigest(rawBody, request);
  if (state.limiter.enabled) {
    const admission = state.limiter.admit(call.inputTokens);
    // Set before any writeHead: every answer from here on carries the current headers.
    for (const [name, value] of Object.entries(admission.headers)) res.setHeader(name, value);
    if (admission.retryAfterS !== undefined) {
      call.outcome = 'rate_limited';
      const { type } = errorFor(429);
      return fail(429, type, 'fake-claude: per-minute rate limit exceeded', admission.retryAfterS);
    }
  }

  const last = lastUserMessage(request);
  let extracted;
  try {
    extracted = extractDirectives(last ? textOf(last.content) : '');
  } catch (err) {
    if (!(err instanceof DirectiveError)) throw err;
    return fail(400, 'invalid_request_error', `fake-claude: ${err.message}`);
  }
  const { directive } = extracted;
  call.lastUserText = extracted.text;
  call.key = directive.key ?? conversationKey(request);
  call.attempt = state.attempts.next(call.key);

  const { options } = state;
  const timing: Timing = {
    latencyMs: directive.latencyMs ?? options.latencyMs,
    ttftMs: directive.ttftMs ?? options.ttftMs,
    tps: directive.tps ?? options.tps,
  };
  const step = chooseStep(
    directive.fail ?? options.failures,
    call.attempt,
    options.faultRates,
    state.random,
  );
  call.outcome = failureOutcome(step);

  if (step.kind === 'hang') return; // The socket stays open until the client or close() ends it.
  if (step.kind === 'status' || (step.kind === 'stream_error' && !call.stream)) {
    if (!(await sleep(timing.latencyMs, signal))) return;
    return sendFailure(step, fail);
  }

  const reply = planReply({
    request,
    key: call.key,
    lastUserText: extracted.text,
    fixedReply: directive.reply ?? options.fixedReply,
    ...(directive.tool !== undefined
      ? { forcedTool: { name: directive.tool, input: directive.toolInput ?? {} } }
      : {}),
    ...chainedToolCall(request),
  });
  const header = {
    id: `msg_fake_${ex.sequence}`,
    model: request.model,
    inputTokens: call.inputTokens,
  };

  if (step.kind === 'reset') {
    deliberateClose = true;
    if (call.stream) {
      call.status = 200;
      await streamReply(
        res,
        header,
        reply,
        timing,
        { kind: 'reset', afterTokens: PARTIAL_TOKENS },
        signal,
      );
    } else if (await sleep(timing.latencyMs, signal)) {
      // No response at all: the client sees the connection reset.
      ex.req.socket.resetAndDestroy();
    }
    return;
  }
  if (step.kind === 'stream_error') {
    call.status = 200;
    const { type, message } = errorFor(529);
    await streamReply(
      res,
      header,
      reply,
      timing,
      { kind: 'error', afterTokens: PARTIAL_TOKENS, type, message },
      signal,
    );
    return;
  }

  call.outcome = reply.stopReason === 'tool_use' ? 'tool_use' : 'ok';
  call.outputTokens = reply.outputTokens;
  if (state.limiter.enabled) state.limiter.chargeOutput(reply.outputTokens);
  if (call.stream) {
    call.status = 200;
    call.completed = await streamReply(res, header, reply, timing, { kind: 'complete' }, signal);
    return;
  }
  // Non-streaming: the whole generation time passes before the body is sent.
  const generationMs = timing.tps > 0 ? (reply.outputTokens * 1000) / timing.tps : 0;
  if (!(await sleep(timing.latencyMs + timing.ttftMs + generationMs, signal))) return;
  if (res.destroyed) return;
  call.status = 200;
  call.completed = true;
  sendJson(res, 200, messageBody(header, reply));
}

function sendFailure(
  step: Extract<FailureStep, { kind: 'status' | 'stream_error' }>,
  fail: (status: number, type: string, message: string, retryAfterS?: number) => void,
): void {
  // A non-streaming request cannot receive a mid-stream error; the nearest equivalent is a 529.
  const status = step.kind === 'status' ? step.status : 529;
  const { type, message } = errorFor(status);
  const spend = step.kind === 'status' && step.spend === true;
  fail(
    status,
    type,
    spend ? SPEND_LIMIT_MESSAGE : message,
    step.kind === 'status' ? step.retryAfterS : undefined,
  );
}
