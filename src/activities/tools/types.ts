import type { z } from 'zod';
import type { ToolPolicy } from '../../shared';

/** What a tool may use while it runs. */
export interface ToolContext {
  /** Aborted when the job is cancelled or the attempt times out: pass it to any I/O. */
  signal: AbortSignal;
  /** Tells Temporal the call is alive; a long call that heartbeats learns of cancellation. */
  heartbeat?: () => void;
}

/**
 * A tool the model may call. Adding one is three steps:
 *
 * 1. write it in its own file under `src/activities/tools/` (see `word-count.ts`, the documented
 *    example): a `name` (the model sees it), a `description` that tells the model when to use it,
 *    a zod `inputSchema` (sent to the model as JSON Schema, and every call is validated against it
 *    before `run` is called), and `run`;
 * 2. add it to `DEFAULT_TOOLS` in `registry.ts`;
 * 3. optionally give it a `policy` (its activity's timeout and attempts).
 *
 * `run` executes inside an activity on the activity workers, so it may do I/O. Throw
 * {@link ToolInputError} for problems the model should hear about (it becomes an `is_error`
 * tool result, not retried); any other error is retried under the tool's policy and, once the
 * attempts are spent, also reported to the model as an error result — a tool never crashes a job.
 */
export interface AgentTool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  inputSchema: S;
  /**
   * JSON Schema sent to the model instead of one generated from `inputSchema`: for tools whose
   * schema comes from elsewhere (an MCP server's `tools/list`).
   */
  inputJsonSchema?: { type: 'object'; [key: string]: unknown };
  policy?: Partial<ToolPolicy>;
  /**
   * Calls of this tool wait for a human decision by default (docs/approvals.md); the operator
   * can add tools with TOOLS_REQUIRING_APPROVAL and a request with `require_approval`.
   */
  requiresApproval?: boolean;
  run(input: z.output<S>, ctx: ToolContext): Promise<string> | string;
}

/** A problem with the call itself (bad expression, unknown timezone): told to the model, never retried. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** Helper that keeps a tool's input type tied to its schema. */
export function defineTool<S extends z.ZodType>(tool: AgentTool<S>): AgentTool<S> {
  return tool;
}
