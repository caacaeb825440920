import type Anthropic from '@anthropic-ai/sdk';
import type {
  AgentContentBlock,
  AgentMessage,
  ClaudeAgentCallResult,
  CostCapInput,
  ModelSettings,
  TranscriptAppend,
} from '../shared';
import type { TranscriptStore } from '../transcripts/types';
import { runModelCall, type ModelCallDeps } from './model-call';
import type { ToolRegistry } from './tools/registry';
import { transcriptMessages } from './transcript-messages';

/** Input of one model call of the agent loop: everything needed to repeat it on retry. */
export interface CallClaudeAgentInput {
  jobId: string;
  userId: string;
  /** 0-based model call within the job (numbers the live text stream). */
  call: number;
  /** The whole transcript, inline (jobs without `transcript` in their input). */
  messages?: AgentMessage[];
  /**
   * Jobs keeping their transcript by reference: what this call appends to the stored transcript
   * (which it then loads from the store) instead of `messages`.
   */
  transcript?: TranscriptAppend;
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
  /** The job's `max_cost_usd` and what it has spent (agent jobs with a cost cap only). */
  costCap?: CostCapInput;
}

/** Dependencies of the agent model-call activity: the core's, and the tools it offers. */
export interface CallClaudeAgentDeps extends ModelCallDeps {
  tools: ToolRegistry;
  /** Transcripts of jobs that keep them by reference (required by those jobs' calls). */
  transcripts?: TranscriptStore;
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
 * Builds `callClaudeAgent`: one streamed model call of the tool loop. It sends the registry's
 * tool definitions, marks prompt-cache breakpoints and returns tool_use blocks; heartbeats,
 * tracing, live text, usage, truncation, overload fallback and failures are the shared core's
 * (model-call.ts), as for `callClaude`.
 */
export function createCallClaudeAgent(deps: CallClaudeAgentDeps) {
  return async function callClaudeAgent(
    input: CallClaudeAgentInput,
  ): Promise<ClaudeAgentCallResult> {
    const messages = await callMessages(deps, input);
    const {
      content,
      truncated,
      fallback: _fallback,
      ...outcome
    } = await runModelCall(deps, {
      jobId: input.jobId,
      userId: input.userId,
      call: input.call,
      model: input.model,
      ...(input.recordUsage ? { recordUsage: true } : {}),
      label: 'agent model call',
      cacheCountsAlways: true,
      debug: { messages: messages.length },
      params: (model) => agentParams(deps.tools, input, messages, model),
      ...(input.costCap ? { costCap: input.costCap } : {}),
    });
    return { content, ...outcome, ...(truncated ? { truncated } : {}) };
  };
}

/** The call's transcript: inline in its input, or loaded from the transcript store. */
async function callMessages(
  deps: CallClaudeAgentDeps,
  input: CallClaudeAgentInput,
): Promise<AgentMessage[]> {
  if (!input.transcript) return input.messages ?? [];
  if (!deps.transcripts) throw new Error('this worker has no transcript store');
  return transcriptMessages(deps.transcripts, input.jobId, input.call, input.transcript);
}

/** The Messages API request of one agent call: system, transcript and tools, cache-marked. */
function agentParams(
  registry: ToolRegistry,
  input: CallClaudeAgentInput,
  messages: AgentMessage[],
  model: string,
): Anthropic.MessageStreamParams {
  const system = input.model.system
    ? [
        {
          type: 'text' as const,
          text: input.model.system,
          ...(input.promptCaching ? { cache_control: EPHEMERAL } : {}),
        },
      ]
    : undefined;
  const definitions = input.tools ? registry.definitions() : [];
  const tools = definitions.map((tool, i) =>
    input.promptCaching && i === definitions.length - 1
      ? { ...tool, cache_control: EPHEMERAL }
      : tool,
  );
  return {
    model,
    max_tokens: input.model.maxTokens,
    ...(system ? { system } : {}),
    messages: toParams(messages, input.promptCaching),
    ...(tools.length > 0 ? { tools, tool_choice: { type: input.toolChoice } } : {}),
  };
}
