import { createCallClaude, type CallClaudeDeps } from './call-claude';
import { createCallClaudeAgent } from './call-claude-agent';
import { createRunTool } from './run-tool';
import { createToolRegistry, type ToolRegistry } from './tools/registry';
import type { StreamHub } from '../streaming/stream-hub';
import type { TranscriptStore } from '../transcripts/types';

/** Everything the activities need from the outside world. */
export interface ActivityDeps extends CallClaudeDeps {
  /** Tools the agent loop may call (default: the shipped registry). */
  tools?: ToolRegistry;
  /** Live text of model calls for SSE (absent: no live streaming from this worker). */
  streams?: StreamHub;
  /** Transcripts of agent jobs that keep them by reference (src/transcripts). */
  transcripts?: TranscriptStore;
}

/**
 * The activity implementations registered by activity workers. Workflows import only the
 * *type* of this factory's result, so no Node code enters the workflow sandbox.
 */
export function createActivities(deps: ActivityDeps) {
  const tools = deps.tools ?? createToolRegistry();
  return {
    callClaude: createCallClaude(deps),
    callClaudeAgent: createCallClaudeAgent({ ...deps, tools }),
    runTool: createRunTool({
      tools,
      logger: deps.logger,
      metrics: deps.metrics,
      ...(deps.transcripts ? { transcripts: deps.transcripts } : {}),
    }),
  };
}

/** What the tool worker needs: tool calls touch no model. */
export type ToolActivityDeps = Pick<ActivityDeps, 'tools' | 'logger' | 'metrics' | 'transcripts'>;

/** The activities of the tool queue's worker: `runTool` only. */
export function createToolActivities(deps: ToolActivityDeps) {
  return {
    runTool: createRunTool({
      tools: deps.tools ?? createToolRegistry(),
      logger: deps.logger,
      metrics: deps.metrics,
      ...(deps.transcripts ? { transcripts: deps.transcripts } : {}),
    }),
  };
}

export type { CallClaudeInput } from './call-claude';
export type { CallClaudeAgentInput } from './call-claude-agent';
export type { RunToolInput } from './run-tool';
