/**
 * The Message Batches API of the fake: create, retrieve (`processing_status`, `request_counts`),
 * results as JSONL at the `results_url` it returns (the SDK's `batches.results()` GETs that URL),
 * and cancel. Each request is answered like a non-streaming `POST /v1/messages` (same replies,
 * directives and per-key failure scripts), decided when the batch is created and revealed when
 * it ends: after the longest `[[fake batch_ms=...]]` of its requests (or the `batchMs` option).
 * A scripted failure status makes that request `errored`; `[[fake batch_expired=1]]` or the
 * `batchExpired` option makes it `expired`. Every request is logged in the call log with its
 * batch id, so tests can count batches and requests.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';

import { countInputTokens, conversationKey, lastUserMessage, textOf } from './conversation';
import { DirectiveError, extractDirectives } from './directives';
import { type FakeState, newCall } from './messages-handler';
import { planReply } from './reply';
import { parseMessagesRequest } from './request-schema';
import { sendError, sendJson } from './responder';
import { chooseStep, failureOutcome } from './step-choice';
import { type FakeBatchSummary } from './types';
import { errorFor, messageBody } from './wire';

type ResultLine = { custom_id: string; result: Record<string, unknown> };

interface FakeBatch {
  id: string;
  createdAt: number;
  endsAt: number;
  models: string[];
  results: ResultLine[];
  cancelledAt?: number;
}

/** Batches of one fake server. */
export class BatchStore {
  readonly #batches = new Map<string, FakeBatch>();
  #sequence = 0;

  /** Summaries for tests, oldest first. */
  list(now = Date.now()): FakeBatchSummary[] {
    return [...this.#batches.values()].map((b) => ({
      id: b.id,
      models: b.models,
      requests: b.results.length,
      status: status(b, now),
      cancelled: b.cancelledAt !== undefined,
    }));
  }

  clear(): void {
    this.#batches.clear();
  }

  /** Routes `/v1/messages/batches...`; false when the path is not one of them. */
  route(
    state: FakeState,
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    method: string,
    body: string | undefined,
  ): boolean {
    if (path === '/v1/messages/batches' && method === 'POST') {
      this.#create(state, req, res, body ?? '');
      return true;
    }
    const match = /^\/v1\/messages\/batches\/([A-Za-z0-9_]+)(\/results|\/cancel)?$/.exec(path);
    if (!match?.[1]) return false;
    const batch = this.#batches.get(match[1]);
    if (!batch) {
      sendError(res, 404, 'not_found_error', `No batch ${match[1]}`);
      return true;
    }
    const tail = match[2];
    if (tail === undefined && method === 'GET') {
      sendJson(res, 200, JSON.stringify(view(batch, req)));
    } else if (tail === '/cancel' && method === 'POST') {
      if (status(batch, Date.now()) !== 'ended') {
        batch.cancelledAt = Date.now();
        batch.results = batch.results.map((line) => ({
          custom_id: line.custom_id,
          result: { type: 'canceled' },
        }));
      }
      sendJson(res, 200, JSON.stringify(view(batch, req)));
    } else if (tail === '/results' && method === 'GET') {
      if (status(batch, Date.now()) !== 'ended') {
        sendError(res, 400, 'invalid_request_error', 'The batch is still processing');
      } else {
        res.statusCode = 200;
        res.setHeader('content-type', 'application/binary');
        res.end(batch.results.map((line) => JSON.stringify(line)).join('\n') + '\n');
      }
    } else {
      sendError(res, 405, 'invalid_request_error', `${method} not allowed on ${path}`);
    }
    return true;
  }

  #create(state: FakeState, req: IncomingMessage, res: ServerResponse, raw: string): void {
    let requests: unknown;
    try {
      requests = (JSON.parse(raw) as { requests?: unknown }).requests;
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'body must be JSON');
    }
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > 100_000) {
      return sendError(res, 400, 'invalid_request_error', 'requests: 1 to 100000 entries');
    }
    const id = `msgbatch_fake_${++this.#sequence}`;
    const now = Date.now();
    let longestMs = state.options.batchMs;
    const models = new Set<string>();
    const results: ResultLine[] = [];
    const seen = new Set<string>();
    for (const entry of requests as { custom_id?: unknown; params?: unknown }[]) {
      const customId = typeof entry?.custom_id === 'string' ? entry.custom_id : '';
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(customId) || seen.has(customId)) {
        return sendError(res, 400, 'invalid_request_error', `invalid custom_id ${customId}`);
      }
      seen.add(customId);
      const answered = answer(state, id, customId, entry.params);
      if (answered.model) models.add(answered.model);
      longestMs = Math.max(longestMs, answered.batchMs ?? 0);
      results.push({ custom_id: customId, result: answered.result });
    }
    const batch: FakeBatch = {
      id,
      createdAt: now,
      endsAt: now + longestMs,
      models: [...models],
      results,
    };
    this.#batches.set(id, batch);
    sendJson(res, 200, JSON.stringify(view(batch, req)));
  }
}

function status(batch: FakeBatch, now: number): 'in_progress' | 'ended' {
  return batch.cancelledAt !== undefined || now >= batch.endsAt ? 'ended' : 'in_progress';
}

/** The batch object as the API returns it. */
function view(batch: FakeBatch, req: IncomingMessage): Record<string, unknown> {
  const now = Date.now();
  const ended = status(batch, now) === 'ended';
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (const line of batch.results) {
    if (!ended) counts.processing += 1;
    else counts[line.result.type as 'succeeded' | 'errored' | 'canceled' | 'expired'] += 1;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : 'in_progress',
    request_counts: counts,
    created_at: iso(batch.createdAt),
    expires_at: iso(batch.createdAt + 24 * 3_600_000),
    ended_at: ended ? iso(Math.min(now, batch.cancelledAt ?? batch.endsAt)) : null,
    cancel_initiated_at: batch.cancelledAt !== undefined ? iso(batch.cancelledAt) : null,
    archived_at: null,
    results_url: ended
      ? `http://${req.headers.host ?? '127.0.0.1'}/v1/messages/batches/${batch.id}/results`
      : null,
  };
}

/** One request's result, decided like a non-streaming Messages call; logged in the call log. */
function answer(
  state: FakeState,
  batchId: string,
  customId: string,
  params: unknown,
): { result: Record<string, unknown>; model?: string; batchMs?: number } {
  const call = { ...newCall(false), batch: batchId, customId };
  state.log.add(call);
  const errored = (status: number, message?: string) => {
    call.status = status;
    const error = errorFor(status);
    return {
      type: 'errored',
      error: { type: 'error', error: { type: error.type, message: message ?? error.message } },
    };
  };
  const parsed = parseMessagesRequest(JSON.stringify(params ?? null));
  if (!parsed.ok) return { result: errored(400, parsed.message) };
  const request = parsed.value;
  call.model = request.model;
  call.inputTokens = countInputTokens(request);
  const last = lastUserMessage(request);
  let extracted;
  try {
    extracted = extractDirectives(last ? textOf(last.content) : '');
  } catch (err) {
    if (!(err instanceof DirectiveError)) throw err;
    return { result: errored(400, `fake-claude: ${err.message}`), model: request.model };
  }
  const { directive } = extracted;
  const timing = {
    model: request.model,
    ...(directive.batchMs !== undefined ? { batchMs: directive.batchMs } : {}),
  };
  call.lastUserText = extracted.text;
  call.key = directive.key ?? conversationKey(request);
  if (directive.batchExpired || state.options.batchExpired) {
    return { result: { type: 'expired' }, ...timing };
  }
  call.attempt = state.attempts.next(call.key);
  const step = chooseStep(
    directive.fail ?? state.options.failures,
    call.attempt,
    state.options.faultRates,
    state.random,
  );
  call.outcome = failureOutcome(step);
  // Connection-level faults have no batch equivalent: a server error stands in for them.
  if (step.kind !== 'ok')
    return { result: errored(step.kind === 'status' ? step.status : 500), ...timing };
  const reply = planReply({
    request,
    key: call.key,
    lastUserText: extracted.text,
    fixedReply: directive.reply ?? state.options.fixedReply,
    ...(directive.tool !== undefined
      ? { forcedTool: { name: directive.tool, input: directive.toolInput ?? {} } }
      : {}),
  });
  call.outcome = reply.stopReason === 'tool_use' ? 'tool_use' : 'ok';
  call.outputTokens = reply.outputTokens;
  call.status = 200;
  call.completed = true;
  const message = JSON.parse(
    messageBody(
      {
        id: `msg_${customId}_${call.attempt}`,
        model: request.model,
        inputTokens: call.inputTokens,
      },
      reply,
    ),
  ) as Record<string, unknown>;
  return { result: { type: 'succeeded', message }, ...timing };
}
