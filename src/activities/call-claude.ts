import type Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { recordClaudeCall } from '../observability/claude-call-recorder';
import { TRACER_NAME } from '../observability/tracing';
import type { WorkerMetrics } from '../observability/worker-metrics';
import { type ClaudeCallResult, type ModelSettings, type TokenUsage } from '../shared';
import { streamKey, type StreamHub } from '../streaming/stream-hub';
import { streamUrl } from '../streaming/stream-server';
import {
  heartbeatIntervalMs,
  modelCallFailure,
  type RateGovernorTarget,
} from './model-call-failure';
import { chooseModel, type OverloadState } from './overload-fallback';
import { commitCallUsage, isUsageNotRecorded } from '../usage/commit-call-usage';
import type { UsageSink } from '../usage/types';

/** Input of one model call: everything needed to repeat it identically on retry. */
export interface CallClaudeInput {
  jobId: string;
  /** For log lines only; absent in histories recorded before it was added. */
  userId?: string;
  message: string;
  model: ModelSettings;
  /**
   * Commit the call's usage to the usage ledger before completing (call 0 of the job). Absent
   * in jobs submitted before: their workflow reports usage itself.
   */
  recordUsage?: boolean;
}

/** Dependencies of the model-call activity. */
export interface CallClaudeDeps {
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
}

/** Progress recorded with each heartbeat (visible in the Web UI's pending activity). */
interface CallProgress extends OverloadState {
  phase: 'waiting' | 'streaming';
  outputChunks: number;
  /** A plain chat job makes one model call: call 0 of `GET /chat/:id/events`. */
  call: 0;
  /** URL of this attempt's live text on this worker's stream server. */
  streamUrl?: string;
}

/**
 * Builds the `callClaude` activity: one streamed Messages API call.
 *
 * Heartbeats come from a timer, independent of the stream, so a slow first token or a long
 * server-side wait never trips the heartbeat timeout while the worker is alive; a dead worker
 * stops heartbeating and Temporal retries the call elsewhere. Cancellation reaches us through
 * the heartbeat and aborts the HTTP request via the SDK's `signal`.
 */
export function createCallClaude(deps: CallClaudeDeps) {
  return async function callClaude(input: CallClaudeInput): Promise<ClaudeCallResult> {
    const ctx = Context.current();
    const { attempt, heartbeatTimeoutMs } = ctx.info;
    const log = deps.logger.child({
      job_id: input.jobId,
      workflow_id: ctx.info.workflowExecution?.workflowId ?? input.jobId,
      ...(input.userId !== undefined ? { user_id: input.userId } : {}),
      attempt,
    });
    const startedAt = new Date();
    const choice = chooseModel(ctx, input.model, log);
    const recorder = recordClaudeCall(deps.metrics, {
      model: choice.model,
      attempt,
      priorityKey: ctx.info.priority?.priorityKey,
      scheduledAtMs: ctx.info.currentAttemptScheduledTimestampMs,
      startedAtMs: startedAt.getTime(),
    });
    const progress: CallProgress = { phase: 'waiting', outputChunks: 0, call: 0, ...choice.state };
    // Live text for SSE, as agent calls do: announced in the first heartbeat (sent at once), read
    // by the API straight from this worker — never a history event per token.
    const hub = deps.streams;
    const key = streamKey(input.jobId, 0, attempt);
    if (hub?.baseUrl) {
      hub.open(key);
      progress.streamUrl = streamUrl(hub.baseUrl, input.jobId, 0, attempt);
    }
    ctx.heartbeat(progress);
    const timer = setInterval(
      () => ctx.heartbeat(progress),
      heartbeatIntervalMs(heartbeatTimeoutMs),
    );
    // The user's text may be personal data: only at debug level, never by default.
    log.debug({ model: choice.model, message: input.message }, 'model call started');
    // A child of the activity's span (no-op unless tracing is on): the last hop of the trace.
    const span = trace.getTracer(TRACER_NAME).startSpan('claude.messages.stream', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.system': 'anthropic',
        'gen_ai.request.model': choice.model,
        attempt,
      },
    });
    try {
      const stream = deps.anthropic.messages.stream(
        {
          model: choice.model,
          max_tokens: input.model.maxTokens,
          ...(input.model.system ? { system: input.model.system } : {}),
          messages: [{ role: 'user', content: input.message }],
        },
        { signal: ctx.cancellationSignal },
      );
      stream.on('text', (delta) => {
        recorder.firstToken();
        progress.phase = 'streaming';
        progress.outputChunks += 1;
        hub?.append(key, delta);
      });
      const final = await stream.finalMessage();
      // On abort the SDK may end the stream quietly; partial text must never pass as success.
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('Model call cancelled');
      const fullText = final.content
        .filter((block): block is Anthropic.TextBlock => block.type === 'text')
        .map((block) => block.text)
        .join('');
      const truncated = fullText.length > deps.maxResponseChars;
      const text = truncated ? fullText.slice(0, deps.maxResponseChars) : fullText;
      if (truncated) log.warn({ chars: fullText.length, kept: text.length }, 'reply truncated');
      const usage: TokenUsage = {
        input_tokens: final.usage.input_tokens,
        output_tokens: final.usage.output_tokens,
        ...(final.usage.cache_creation_input_tokens != null
          ? { cache_creation_input_tokens: final.usage.cache_creation_input_tokens }
          : {}),
        ...(final.usage.cache_read_input_tokens != null
          ? { cache_read_input_tokens: final.usage.cache_read_input_tokens }
          : {}),
      };
      const finishedAt = new Date();
      span.setAttributes({
        'gen_ai.usage.input_tokens': usage.input_tokens,
        'gen_ai.usage.output_tokens': usage.output_tokens,
      });
      recorder.success(usage);
      log.info(
        {
          duration_ms: finishedAt.getTime() - startedAt.getTime(),
          input_tokens: usage.input_tokens,
          output_tokens: usage.output_tokens,
        },
        'model call completed',
      );
      log.debug({ response: text }, 'model reply');
      if (input.recordUsage) {
        // Committed before the activity completes: a crash before this line retries the call
        // (same key), one after it is answered by the key already stored.
        await commitCallUsage(deps.usage, {
          jobId: input.jobId,
          call: 0,
          userId: input.userId ?? '',
          model: final.model,
          usage,
          at: finishedAt.toISOString(),
        });
      }
      return {
        text,
        model: final.model,
        stopReason: final.stop_reason,
        usage,
        attempt,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        ...(truncated ? { truncated } : {}),
        ...(choice.fallback ? { fallback: true } : {}),
      };
    } catch (err) {
      if (isUsageNotRecorded(err)) throw err;
      const failure = modelCallFailure(err, {
        ctx,
        attempt,
        startedAt,
        recorder,
        log,
        label: 'model call',
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
  };
}
