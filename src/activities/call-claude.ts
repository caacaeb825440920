import type { ClaudeCallResult, ModelSettings } from '../shared';
import { runModelCall, type ModelCallDeps } from './model-call';

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
export type CallClaudeDeps = ModelCallDeps;

/**
 * Builds the `callClaude` activity: a plain chat job's one model call (call 0 of
 * `GET /chat/:id/events`), the user's message in, the reply's text out. Everything else —
 * heartbeats, tracing, live text, usage, truncation, overload fallback, failures — is the
 * shared core's (model-call.ts).
 */
export function createCallClaude(deps: CallClaudeDeps) {
  return async function callClaude(input: CallClaudeInput): Promise<ClaudeCallResult> {
    const { content, truncated, fallback, ...outcome } = await runModelCall(deps, {
      jobId: input.jobId,
      ...(input.userId !== undefined ? { userId: input.userId } : {}),
      call: 0,
      model: input.model,
      ...(input.recordUsage ? { recordUsage: true } : {}),
      label: 'model call',
      cacheCountsAlways: false,
      // The user's text may be personal data: only at debug level, never by default.
      debug: { message: input.message },
      params: (model) => ({
        model,
        max_tokens: input.model.maxTokens,
        ...(input.model.system ? { system: input.model.system } : {}),
        messages: [{ role: 'user', content: input.message }],
      }),
    });
    return {
      text: content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
      ...outcome,
      ...(truncated ? { truncated } : {}),
      ...(fallback ? { fallback: true } : {}),
    };
  };
}
