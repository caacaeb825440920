import type { ToolRegistry } from '../activities/tools/registry';
import type { AppConfig } from '../config';
import type { AgentJobInput, AgentToolSettings, ChatJobInput } from '../shared';
import { fairnessFor } from './temporal-calls';

/** What every job's input starts from: who asked what, when, and with which model. */
export type JobBase = Pick<
  ChatJobInput,
  'jobId' | 'userId' | 'message' | 'priority' | 'submittedAt' | 'model'
> & {
  /** The job's own deadline in milliseconds (already capped by configuration). */
  deadlineMs?: number;
  /** `batch`: the Message Batches lane (absent: interactive). */
  lane?: 'batch';
};

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
    // Only batch jobs carry the lane: interactive inputs (and their replays) are unchanged.
    ...(base.lane === 'batch' ? { lane: 'batch' as const, batch: config.batch } : {}),
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
    policies: registry.policies(config.agent.toolPolicy),
    defaultPolicy: config.agent.toolPolicy,
    taskQueue: config.taskQueues.tools,
  };
}

/** Input of a tool-using agent job (no conversation). */
export function agentJobInput(
  base: JobBase,
  config: AppConfig,
  registry: ToolRegistry,
): AgentJobInput {
  return {
    ...commonInput(base, config),
    history: [],
    tools: toolSettings(config, registry, true),
    promptCaching: config.agent.promptCaching,
    workflowTaskQueue: config.taskQueues.workflows,
    // Each model call records its usage from the activity (src/usage): no history events.
    usageByActivity: true,
  };
}
