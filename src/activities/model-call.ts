import type Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { recordClaudeCall } from '../observability/claude-call-recorder';
import { TRACER_NAME } from '../observability/tracing';
import type { WorkerMetrics } from '../observability/worker-metrics';
import {
  DEFAULT_PRICE_TABLE,
  estimateCostUsd,
  type PriceTable,
} from '../observability/price-table';
import type {
  AgentContentBlock,
  ClaudeCallResult,
  CostCapInput,
  ModelSettings,
  TokenUsage,
} from '../shared';
import { streamKey, type StreamHub } from '../streaming/stream-hub';
import { commitCallUsage, isUsageNotRecorded } from '../usage/commit-call-usage';
import type { UsageSink } from '../usage/types';
import {
  heartbeatIntervalMs,
  modelCallFailure,
  type RateGovernorTarget,
} from './model-call-failure';
import { checkCostCap } from './cost-cap';
import { tokenLimitedCall } from './token-limit-call';
import type { TokenRateLimiter } from './token-rate-limiter';
import { chooseModel, type OverloadState } from './overload-fallback';

/** Dependencies of every model-call activity. */
export interface ModelCallDeps {
  anthropic: Anthropic;
  logger: Logger;
  /**
   * Longest reply kept; longer ones are truncated and flagged. Temporal fails any payload over
   * 2 MiB (and warns at 512 KiB): a result that large would fail the job on every retry.
   */
  maxResponseChars: number;
  /** Latency, tokens, cost, errors and in-flight calls (none recorded when absent). */
  metrics?: WorkerMetrics;
  /** Where to report 429s so the whole fleet cools down (absent: each job only backs off). */
  rateGovernor?: RateGovernorTarget;
  /** Live text for `GET /chat/:job_id/events` (absent: no live streaming from this worker). */
  streams?: StreamHub;
  /** The usage ledger's writer (required by calls that ask to record their usage). */
  usage?: UsageSink;
  /** Prices of the per-job cost cap (absent: the built-in table). */
  prices?: PriceTable;
  /** This worker's share of the fleet's token limits (absent: none). */
  tokenLimiter?: TokenRateLimiter;
}

/** One model call as an entry point describes it; the core does everything else. */
export interface ModelCallRequest {
  jobId: string;
  /** For log lines and the usage ledger; absent in plain histories recorded before it existed. */
  userId?: string;
  /** 0-based model call within the job: numbers its live-text stream and its usage record. */
  call: number;
  model: ModelSettings;
  /** Commit the call's usage to the usage ledger before completing (key: job id and `call`). */
  recordUsage?: boolean;
  /** Log message prefix, e.g. "model call" or "agent model call". */
  label: string;
  /**
   * Report cache token counts as 0 when Claude names none (the agent loop sums them); otherwise
   * they are left out, as plain chat results have always had them.
   */
  cacheCountsAlways: boolean;
  /** Fields of the debug line that starts the call (may hold the user's text: debug only). */
  debug?: Record<string, unknown>;
  /** The Messages API request for the model this attempt uses (the overload fallback may differ). */
  params(model: string): Anthropic.MessageStreamParams;
  /** The job's cost cap: checked before the call, and the call's cost returned after it. */
  costCap?: CostCapInput;
}

/** What the call produced, for the entry point to map to its result type. */
export interface ModelCallOutcome extends Omit<
  ClaudeCallResult,
  'text' | 'truncated' | 'fallback'
> {
  /** Text (cut to `maxResponseChars` in total) and tool_use blocks, in Claude's order. */
  content: AgentContentBlock[];
  truncated: boolean;
  /** True when the overload fallback model answered. */
  fallback: boolean;
  /** With a cost cap: the call's cost (absent when its model has no price). */
  costUsd?: number;
  /** With a cost cap: the call was not made, its worst case would pass the cap. */
  costCapReached?: boolean;
}

/** Progress recorded with each heartbeat (visible in the Web UI's pending activity). */
export interface ModelCallProgress extends OverloadState {
  phase: 'waiting' | 'streaming';
  outputChunks: number;
  /**
   * The model call this attempt makes; the API reads it to know which call a pending activity is
   * (its live text is at `<stream base URL of the worker identity>/streams/<job>/<call>/<attempt>`).
   */
  call: number;
}

/** Claude's usage in our shape. */
function tokenUsage(usage: Anthropic.Usage, cacheCountsAlways: boolean): TokenUsage {
  const creation = usage.cache_creation_input_tokens ?? (cacheCountsAlways ? 0 : null);
  const read = usage.cache_read_input_tokens ?? (cacheCountsAlways ? 0 : null);
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    ...(creation != null ? { cache_creation_input_tokens: creation } : {}),
    ...(read != null ? { cache_read_input_tokens: read } : {}),
  };
}

/** The reply's text and tool_use blocks, text cut to `budget` characters in total. */
function keptContent(
  final: Anthropic.Message,
  budget: number,
): { content: AgentContentBlock[]; chars: number; truncated: boolean } {
  let left = budget;
  let chars = 0;
  const content: AgentContentBlock[] = [];
  for (const block of final.content) {
    if (block.type === 'text') {
      chars += block.text.length;
      const text = block.text.length > left ? block.text.slice(0, left) : block.text;
      left -= text.length;
      content.push({ type: 'text', text });
    } else if (block.type === 'tool_use') {
      content.push({
        type: 'tool_use',
        id: block.id,
        name: block.name,
        input: (block.input ?? {}) as Record<string, unknown>,
      });
    }
  }
  return { content, chars, truncated: chars > budget };
}

/**
 * One streamed Messages API call inside a model-call activity, for every kind of model call.
 *
 * Heartbeats come from a timer, independent of the stream, so a slow first token or a long
 * server-side wait never trips the heartbeat timeout while the worker is alive; a dead worker
 * stops heartbeating and Temporal retries the call elsewhere. The first beat goes out one
 * interval (a third of the heartbeat timeout) after the start, so a call shorter than that sends
 * none: the API finds this attempt's live text through the worker identity the server recorded
 * when the attempt started (see src/streaming/worker-identity.ts), not through a heartbeat.
 * Cancellation reaches us through the heartbeat and aborts the HTTP request via the SDK's
 * `signal`. Text deltas go to the worker's stream hub, never to a history event.
 */
export async function runModelCall(
  deps: ModelCallDeps,
  request: ModelCallRequest,
): Promise<ModelCallOutcome> {
  const ctx = Context.current();
  const { attempt, heartbeatTimeoutMs } = ctx.info;
  const log = deps.logger.child({
    job_id: request.jobId,
    workflow_id: ctx.info.workflowExecution?.workflowId ?? request.jobId,
    ...(request.userId !== undefined ? { user_id: request.userId } : {}),
    call: request.call,
    attempt,
  });
  const startedAt = new Date();
  const choice = chooseModel(ctx, request.model, log);
  const params = request.params(choice.model);
  const prices = deps.prices ?? DEFAULT_PRICE_TABLE;
  if (request.costCap) {
    const verdict = checkCostCap(prices, request.costCap, params);
    if (verdict.reached) {
      log.info(
        { ...request.costCap, worst_case_usd: verdict.worstCaseUsd },
        `${request.label} not made: the job's cost cap would be exceeded`,
      );
      return costCapOutcome(choice.model, attempt, startedAt, request.cacheCountsAlways);
    }
  }
  const recorder = recordClaudeCall(deps.metrics, {
    model: choice.model,
    attempt,
    priorityKey: ctx.info.priority?.priorityKey,
    scheduledAtMs: ctx.info.currentAttemptScheduledTimestampMs,
    startedAtMs: startedAt.getTime(),
  });
  const progress: ModelCallProgress = {
    phase: 'waiting',
    outputChunks: 0,
    call: request.call,
    ...choice.state,
  };
  const hub = deps.streams;
  const key = streamKey(request.jobId, request.call, attempt);
  if (hub?.baseUrl) hub.open(key);
  const timer = setInterval(() => ctx.heartbeat(progress), heartbeatIntervalMs(heartbeatTimeoutMs));
  log.debug({ model: choice.model, ...request.debug }, `${request.label} started`);
  // A child of the activity's span (no-op unless tracing is on): the last hop of the trace.
  const span = trace.getTracer(TRACER_NAME).startSpan('claude.messages.stream', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': choice.model,
      attempt,
      call: request.call,
    },
  });
  const limited = tokenLimitedCall(deps.tokenLimiter, params, ctx.cancellationSignal);
  try {
    await limited.acquire();
    const stream = deps.anthropic.messages.stream(params, {
      signal: ctx.cancellationSignal,
    });
    stream.on('text', (delta) => {
      recorder.firstToken();
      progress.phase = 'streaming';
      progress.outputChunks += 1;
      hub?.append(key, delta);
    });
    const final = await stream.finalMessage();
    // On abort the SDK may end the stream quietly; partial text must never pass as success.
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('Model call cancelled');
    const kept = keptContent(final, deps.maxResponseChars);
    if (kept.truncated) {
      log.warn({ chars: kept.chars, kept: deps.maxResponseChars }, 'reply truncated');
    }
    log.debug({ response: kept.content }, 'model reply');
    const usage = tokenUsage(final.usage, request.cacheCountsAlways);
    limited.succeeded(usage, stream.response?.headers);
    const finishedAt = new Date();
    span.setAttributes({
      'gen_ai.usage.input_tokens': usage.input_tokens,
      'gen_ai.usage.output_tokens': usage.output_tokens,
    });
    recorder.success(usage);
    log.info(
      {
        duration_ms: finishedAt.getTime() - startedAt.getTime(),
        stop_reason: final.stop_reason,
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        ...(usage.cache_read_input_tokens !== undefined
          ? { cache_read_input_tokens: usage.cache_read_input_tokens }
          : {}),
      },
      `${request.label} completed`,
    );
    if (request.recordUsage) {
      // Committed before the activity completes: a crash before this line retries the call
      // (same key), one after it is answered by the key already stored.
      await commitCallUsage(deps.usage, {
        jobId: request.jobId,
        call: request.call,
        userId: request.userId ?? '',
        model: final.model,
        usage,
        at: finishedAt.toISOString(),
      });
    }
    return {
      content: kept.content,
      truncated: kept.truncated,
      model: final.model,
      stopReason: final.stop_reason,
      usage,
      attempt,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      fallback: choice.fallback,
      ...(request.costCap ? costField(estimateCostUsd(prices, final.model, usage)) : {}),
    };
  } catch (err) {
    limited.failed(err);
    if (isUsageNotRecorded(err)) throw err;
    const failure = modelCallFailure(err, {
      ctx,
      attempt,
      startedAt,
      recorder,
      log,
      label: request.label,
      rateGovernor: deps.rateGovernor,
      overload: { progress, state: choice.state },
    });
    if (failure instanceof ApplicationFailure) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.type ?? 'error' });
    }
    throw failure;
  } finally {
    span.end();
    clearInterval(timer);
    hub?.end(key);
  }
}

function costField(cost: number | undefined): { costUsd?: number } {
  return cost === undefined ? {} : { costUsd: cost };
}

/** The outcome of a call the cost cap stopped: nothing said, nothing used, nothing spent. */
function costCapOutcome(
  model: string,
  attempt: number,
  startedAt: Date,
  cacheCountsAlways: boolean,
): ModelCallOutcome {
  const at = startedAt.toISOString();
  return {
    content: [],
    truncated: false,
    model,
    stopReason: null,
    usage: {
      input_tokens: 0,
      output_tokens: 0,
      ...(cacheCountsAlways ? { cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } : {}),
    },
    attempt,
    startedAt: at,
    finishedAt: at,
    fallback: false,
    costCapReached: true,
  };
}
