import type Anthropic from '@anthropic-ai/sdk';
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { recordClaudeCall } from '../observability/claude-call-recorder';
import type { WorkerMetrics } from '../observability/worker-metrics';
import {
  type AgentContentBlock,
  type AgentMessage,
  type ClaudeAgentCallResult,
  type ModelSettings,
  type TokenUsage,
} from '../shared';
import { streamKey, type StreamHub } from '../streaming/stream-hub';
import { streamUrl } from '../streaming/stream-server';
import {
  heartbeatIntervalMs,
  modelCallFailure,
  type RateGovernorTarget,
} from './model-call-failure';
import { chooseModel, type OverloadState } from './overload-fallback';
import type { ToolRegistry } from './tools/registry';
import { commitCallUsage, isUsageNotRecorded } from '../usage/commit-call-usage';
import type { UsageSink } from '../usage/types';

/** Input of one model call of the agent loop: everything needed to repeat it on retry. */
export interface CallClaudeAgentInput {
  jobId: string;
  userId: string;
  /** 0-based model call within the job (numbers the live text stream). */
  call: number;
  messages: AgentMessage[];
  model: ModelSettings;
  /** Send the registry's tools; `toolChoice: 'none'` forces a text answer (last step). */
  tools: boolean;
  toolChoice: 'auto' | 'none';
  promptCaching: boolean;
  /**
   * Commit the call's usage to the usage ledger before completing (key: job id and `call`).
   * Absent in jobs submitted before: their workflow reports usage itself.
   */
  recordUsage?: boolean;
}

/** Dependencies of the agent model-call activity. */
export interface CallClaudeAgentDeps {
  anthropic: Anthropic;
  logger: Logger;
  maxResponseChars: number;
  tools: ToolRegistry;
  metrics?: WorkerMetrics;
  /** Where to report 429s so the whole fleet cools down (absent: each job only backs off). */
  rateGovernor?: RateGovernorTarget;
  /** Where live text goes for `GET /chat/:job_id/events`; absent = no live streaming. */
  streams?: StreamHub;
  /** The usage ledger's writer (required by calls that ask to record their usage). */
  usage?: UsageSink;
}

/** Heartbeat details: progress, and where the API can read this call's live text. */
export interface AgentCallProgress extends OverloadState {
  phase: 'waiting' | 'streaming';
  outputChunks: number;
  call: number;
  /** URL of this attempt's live text on this worker's stream server. */
  streamUrl?: string;
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * The request's messages, with a cache breakpoint on the last block: the whole prefix (system,
 * tools, transcript so far) is then written to the prompt cache, and the next call of this job
 * or the next turn of the conversation — which extends that prefix — reads it back at the
 * cache-read price instead of paying for the history again.
 */
function toParams(messages: AgentMessage[], caching: boolean): Anthropic.MessageParam[] {
  return messages.map((message, index) => {
    const last = caching && index === messages.length - 1;
    const blocks: AgentContentBlock[] =
      typeof message.content === 'string'
        ? [{ type: 'text', text: message.content }]
        : message.content;
    if (!last && typeof message.content === 'string') {
      return { role: message.role, content: message.content };
    }
    return {
      role: message.role,
      content: blocks.map((block, i) =>
        last && i === blocks.length - 1 ? { ...block, cache_control: EPHEMERAL } : block,
      ) as Anthropic.ContentBlockParam[],
    };
  });
}

/**
 * Builds `callClaudeAgent`: one streamed model call of the tool loop. Like `callClaude` it
 * heartbeats on its own timer and classifies every failure; in addition it sends the registry's
 * tool definitions, marks prompt-cache breakpoints, returns tool_use blocks, and publishes its
 * text deltas to the worker's stream hub (announced once in the heartbeat details).
 */
export function createCallClaudeAgent(deps: CallClaudeAgentDeps) {
  return async function callClaudeAgent(
    input: CallClaudeAgentInput,
  ): Promise<ClaudeAgentCallResult> {
    const ctx = Context.current();
    const { attempt, heartbeatTimeoutMs } = ctx.info;
    const log = deps.logger.child({
      job_id: input.jobId,
      workflow_id: ctx.info.workflowExecution?.workflowId ?? input.jobId,
      user_id: input.userId,
      call: input.call,
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
    const key = streamKey(input.jobId, input.call, attempt);
    const hub = deps.streams;
    const progress: AgentCallProgress = {
      phase: 'waiting',
      outputChunks: 0,
      call: input.call,
      ...choice.state,
    };
    if (hub?.baseUrl) {
      hub.open(key);
      progress.streamUrl = streamUrl(hub.baseUrl, input.jobId, input.call, attempt);
    }
    // The first heartbeat is sent at once (later ones are throttled): the API learns the stream
    // URL before the model's first token in the usual case.
    ctx.heartbeat(progress);
    const timer = setInterval(
      () => ctx.heartbeat(progress),
      heartbeatIntervalMs(heartbeatTimeoutMs),
    );
    try {
      const system = input.model.system
        ? [
            {
              type: 'text' as const,
              text: input.model.system,
              ...(input.promptCaching ? { cache_control: EPHEMERAL } : {}),
            },
          ]
        : undefined;
      const definitions = input.tools ? deps.tools.definitions() : [];
      const tools = definitions.map((tool, i) =>
        input.promptCaching && i === definitions.length - 1
          ? { ...tool, cache_control: EPHEMERAL }
          : tool,
      );
      const params: Anthropic.MessageStreamParams = {
        model: choice.model,
        max_tokens: input.model.maxTokens,
        ...(system ? { system } : {}),
        messages: toParams(input.messages, input.promptCaching),
        ...(tools.length > 0
          ? {
              tools: tools,
              tool_choice: { type: input.toolChoice },
            }
          : {}),
      };
      const stream = deps.anthropic.messages.stream(params, { signal: ctx.cancellationSignal });
      stream.on('text', (delta) => {
        recorder.firstToken();
        progress.phase = 'streaming';
        progress.outputChunks += 1;
        hub?.append(key, delta);
      });
      const final = await stream.finalMessage();
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('Model call cancelled');
      let budget = deps.maxResponseChars;
      let truncated = false;
      const content: AgentContentBlock[] = [];
      for (const block of final.content) {
        if (block.type === 'text') {
          const text = block.text.length > budget ? block.text.slice(0, budget) : block.text;
          truncated ||= text.length < block.text.length;
          budget -= text.length;
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
      const usage: TokenUsage = {
        input_tokens: final.usage.input_tokens,
        output_tokens: final.usage.output_tokens,
        cache_creation_input_tokens: final.usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: final.usage.cache_read_input_tokens ?? 0,
      };
      const finishedAt = new Date();
      recorder.success(usage);
      log.info(
        {
          duration_ms: finishedAt.getTime() - startedAt.getTime(),
          stop_reason: final.stop_reason,
          input_tokens: usage.input_tokens,
          output_tokens: usage.output_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
        },
        'agent model call completed',
      );
      if (input.recordUsage) {
        // Committed before the activity completes (see callClaude): one count per job call.
        await commitCallUsage(deps.usage, {
          jobId: input.jobId,
          call: input.call,
          userId: input.userId,
          model: final.model,
          usage,
          at: finishedAt.toISOString(),
        });
      }
      return {
        content,
        model: final.model,
        stopReason: final.stop_reason,
        usage,
        attempt,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        ...(truncated ? { truncated } : {}),
      };
    } catch (err) {
      if (isUsageNotRecorded(err)) throw err;
      throw modelCallFailure(err, {
        ctx,
        attempt,
        startedAt,
        recorder,
        log,
        label: 'agent model call',
        rateGovernor: deps.rateGovernor,
        overload: { progress, state: choice.state },
      });
    } finally {
      clearInterval(timer);
      hub?.end(key);
    }
  };
}
