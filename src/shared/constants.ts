/** Names shared by the API, workers, launcher and tests. */

/** Workflow type name of a single chat job. */
export const CHAT_WORKFLOW_TYPE = 'chatWorkflow';

/** Default task queue polled by workflow workers. */
export const DEFAULT_WORKFLOW_TASK_QUEUE = 'agent-fleet-workflows';

/** Default task queue polled by the activity workers that call Claude. */
export const DEFAULT_ACTIVITY_TASK_QUEUE = 'agent-fleet-claude';

/** Default task queue of agent tool calls (polled by every activity-worker process). */
export const DEFAULT_TOOL_TASK_QUEUE = 'agent-fleet-tools';

/**
 * Custom search attributes set on every chat workflow, so operators can filter jobs in the
 * Temporal Web UI (e.g. `AgentFleetUserId = "alice"`). The dev-server launcher registers them.
 */
export const SEARCH_ATTRIBUTES = {
  userId: { name: 'AgentFleetUserId', type: 'Keyword' },
  priority: { name: 'AgentFleetPriority', type: 'Int' },
  /** Set true only while an agent job waits for a human approval of a tool call (then false). */
  awaitingApproval: { name: 'AgentFleetAwaitingApproval', type: 'Bool' },
} as const;

/** Workflow type of the fleet-wide Claude rate governor (one per activity task queue). */
export const RATE_GOVERNOR_WORKFLOW_TYPE = 'claudeRateGovernorWorkflow';

/** Workflow id of the rate governor that throttles `activityTaskQueue`. */
export function rateGovernorWorkflowId(activityTaskQueue: string): string {
  return `claude-rate-governor:${activityTaskQueue}`;
}
