import type { ToolRegistry } from '../activities/tools/registry';
import type { AppConfig } from '../config';
import { mcpToolPolicies } from '../mcp/mcp-settings';
import type {
  AgentJobInput,
  AgentToolSettings,
  ApprovalSettings,
  ChatJobInput,
  WebhookSettings,
} from '../shared';
import { fairnessFor } from './temporal-calls';

/** What every job's input starts from: who asked what, when, and with which model. */
export type JobBase = Pick<
  ChatJobInput,
  'jobId' | 'userId' | 'message' | 'priority' | 'submittedAt' | 'model'
> & {
  /** The job's own deadline in milliseconds (already capped by configuration). */
  deadlineMs?: number;
  /** Agent jobs and turns: `max_cost_usd`. */
  maxCostUsd?: number;
  /** `callback_url`, already checked against the allowed prefixes. */
  callbackUrl?: string;
};

/** A job's webhook settings, or nothing (no field at all) for a job without `callback_url`. */
export function webhookInput(
  callbackUrl: string | undefined,
  config: AppConfig,
): { webhook?: WebhookSettings } {
  if (callbackUrl === undefined) return {};
  return {
    webhook: {
      url: callbackUrl,
      maxDeliveryMs: config.webhooks.maxDeliveryMs,
      timeoutMs: config.webhooks.timeoutMs,
      taskQueue: config.taskQueues.workflows,
    },
  };
}

/**
 * The fields every job input shares. Each kind's input adds its own on top, so a new field for
 * every job (a flag, a setting) is added here once.
 */
function commonInput(base: JobBase, config: AppConfig) {
  return {
    jobId: base.jobId,
    userId: base.userId,
    message: base.message,
    priority: base.priority,
    submittedAt: base.submittedAt,
    model: base.model,
    policy: {
      ...config.claude.policy,
      deadlineMs: base.deadlineMs ?? config.claude.policy.deadlineMs,
    },
    activityTaskQueue: config.taskQueues.activities,
    ...webhookInput(base.callbackUrl, config),
  };
}

/** Input of a plain chat job: one model call. */
export function chatJobInput(base: JobBase, config: AppConfig): ChatJobInput {
  return {
    ...commonInput(base, config),
    fairness: fairnessFor(base.userId, config.scheduling.fairnessWeights),
    waitForCancellation: true,
    // The model-call activity commits the job's usage (src/usage): no history event for it.
    ...(config.observability.usageLedgerChatJobs ? { usageByActivity: true } : {}),
  };
}

/** Tool settings of agent jobs and conversation turns. */
export function toolSettings(
  config: AppConfig,
  registry: ToolRegistry,
  enabled: boolean,
): AgentToolSettings {
  return {
    enabled,
    maxSteps: config.agent.maxSteps,
    policies: {
      ...registry.policies(config.agent.toolPolicy),
      // MCP tools with a policy of their own (the API never connects to the servers).
      ...mcpToolPolicies(config.agent.mcpServers, config.agent.toolPolicy),
    },
    defaultPolicy: config.agent.toolPolicy,
    taskQueue: config.taskQueues.tools,
  };
}

/**
 * Approval settings of an agent job or turn: the registry's and operator's tools that always
 * wait, plus the request's (`true` = every tool). Undefined when no tool needs approval, so the
 * job's input (and history) is exactly what it was before approvals existed.
 */
export function approvalSettings(
  config: AppConfig,
  registry: ToolRegistry,
  requested: boolean | string[] | undefined,
): ApprovalSettings | undefined {
  const tools = new Set([...registry.approvalDefaults(), ...config.agent.approval.tools]);
  for (const name of requested === true ? registry.names() : requested || []) tools.add(name);
  if (tools.size === 0) return undefined;
  return {
    tools: [...tools].sort(),
    timeoutMs: config.agent.approval.timeoutMs,
    timeoutDecision: config.agent.approval.timeoutDecision,
  };
}

/** Input of a tool-using agent job (no conversation). */
export function agentJobInput(
  base: JobBase,
  config: AppConfig,
  registry: ToolRegistry,
  approval?: ApprovalSettings,
): AgentJobInput {
  return {
    ...commonInput(base, config),
    history: [],
    tools: toolSettings(config, registry, true),
    promptCaching: config.agent.promptCaching,
    workflowTaskQueue: config.taskQueues.workflows,
    // Each model call records its usage from the activity (src/usage): no history events.
    usageByActivity: true,
    // The transcript by reference (docs/transcripts.md): model calls carry no transcript.
    ...(config.transcripts.byReference ? { transcript: { store: 'ref' as const } } : {}),
    ...(approval ? { approval } : {}),
    ...(base.maxCostUsd !== undefined ? { maxCostUsd: base.maxCostUsd } : {}),
  };
}
