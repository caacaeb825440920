import { createCallClaude, type CallClaudeDeps } from './call-claude';

/** Everything the activities need from the outside world. */
export type ActivityDeps = CallClaudeDeps;

/**
 * The activity implementations registered by activity workers. Workflows import only the
 * *type* of this factory's result, so no Node code enters the workflow sandbox.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    callClaude: createCallClaude(deps),
  };
}

export type { CallClaudeInput } from './call-claude';
