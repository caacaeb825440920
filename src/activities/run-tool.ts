import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../observability/worker-metrics';
import { transcriptPreview, type ToolRunResult } from '../shared';
import type { TranscriptStore } from '../transcripts/types';
import type { ToolRegistry } from './tools/registry';
import { ToolInputError } from './tools/types';

/** Failure type of a tool that threw unexpectedly (retried under the tool's policy). */
export const TOOL_FAILED = 'ToolFailed';

/** Longest tool output handed back to the model (and stored in the job's history). */
const MAX_OUTPUT_CHARS = 20_000;

/** Input of one tool call. */
export interface RunToolInput {
  jobId: string;
  toolUseId: string;
  name: string;
  input: unknown;
  /**
   * The job keeps its transcript by reference: write the full output to the transcript store and
   * return a preview (the next model call reads the output from the store).
   */
  store?: boolean;
}

/** Dependencies of the tool activity. */
export interface RunToolDeps {
  tools: ToolRegistry;
  logger: Logger;
  metrics?: WorkerMetrics;
  /** Transcripts of jobs that keep them by reference (required by those jobs' tool calls). */
  transcripts?: TranscriptStore;
}

/**
 * Builds `runTool`: one tool call, as its own activity (own timeout and retries, set per tool in
 * activity-options.ts). A model asking for a tool that does not exist, or passing arguments that
 * fail the tool's zod schema, gets an `is_error` result explaining why — the model can correct
 * itself, and the job never crashes on a model's mistake.
 */
export function createRunTool(deps: RunToolDeps) {
  return async function runTool(input: RunToolInput): Promise<ToolRunResult> {
    const ctx = Context.current();
    const started = new Date();
    const result = async (
      output: string,
      isError: boolean,
      outcome: string,
    ): Promise<ToolRunResult> => {
      const finished = new Date();
      const durationMs = finished.getTime() - started.getTime();
      // Unknown names come from the model: never let them become metric label values.
      const label = deps.tools.get(input.name) ? input.name : 'unknown';
      deps.metrics?.recordToolCall(label, outcome, durationMs / 1000);
      const kept =
        output.length > MAX_OUTPUT_CHARS ? `${output.slice(0, MAX_OUTPUT_CHARS)}…` : output;
      if (input.store)
        return storedResult(deps, input, { output: kept, isError }, started, finished);
      return {
        output: kept,
        isError,
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs,
      };
    };
    const tool = deps.tools.get(input.name);
    if (!tool) {
      return result(
        `Unknown tool "${input.name}". Available tools: ${deps.tools.names().join(', ')}.`,
        true,
        'unknown_tool',
      );
    }
    const parsed = tool.inputSchema.safeParse(input.input);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(input)'}: ${i.message}`)
        .join('; ');
      return result(`Invalid input for ${tool.name}: ${problems}`, true, 'invalid_input');
    }
    try {
      const output = await tool.run(parsed.data, {
        signal: ctx.cancellationSignal,
        heartbeat: () => ctx.heartbeat(),
      });
      return result(output, false, 'success');
    } catch (err) {
      if (err instanceof ToolInputError) return result(`Error: ${err.message}`, true, 'tool_error');
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('Tool call cancelled');
      deps.metrics?.recordToolCall(input.name, 'failure', (Date.now() - started.getTime()) / 1000);
      deps.logger.warn(
        { job_id: input.jobId, tool: input.name, err: (err as Error).message },
        'tool failed',
      );
      throw ApplicationFailure.create({
        type: TOOL_FAILED,
        message: `${input.name} failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  };
}

/**
 * A tool result kept by reference: the full output goes to the transcript store (the first
 * attempt to finish wins, so every attempt reports the same output) and the history gets a
 * preview. Timing is this attempt's.
 */
async function storedResult(
  deps: RunToolDeps,
  input: RunToolInput,
  output: { output: string; isError: boolean },
  started: Date,
  finished: Date,
): Promise<ToolRunResult> {
  if (!deps.transcripts) throw new Error('this worker has no transcript store');
  const stored = await deps.transcripts.putToolOutput(input.jobId, input.toolUseId, output);
  const preview = transcriptPreview(stored.output);
  return {
    output: preview.text,
    isError: stored.isError,
    ...(preview.truncated ? { outputChars: preview.chars, truncated: true as const } : {}),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
  };
}
