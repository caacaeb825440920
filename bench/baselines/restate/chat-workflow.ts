/**
 * The Restate chat workflow: one workflow per chat (key = job id); the model call inside
 * `ctx.run` with a retry policy like ours (attempts, first and largest interval, factor 2), a
 * model `retry-after` honoured through RetryableError, a permanent error made terminal. The
 * journal keeps the call's result, so a retried invocation does not call the model again once
 * the run has completed. A shared `status` handler answers GET /chat/:id from the workflow state.
 */
import * as restate from '@restatedev/restate-sdk';
import type { ChatJobInput, ChatJobResult } from '../contract';
import { createModelCall, ModelCallError } from '../model-call';
import { CHAT_WORKFLOW, type RestateSettings } from './config';

/** What the `status` handler returns. */
export interface ChatState {
  input?: ChatJobInput;
  result?: ChatJobResult;
  error?: string;
}

/** The workflow definition to bind to an endpoint. */
export function createChatWorkflow(settings: RestateSettings) {
  const call = createModelCall(settings);
  return restate.workflow({
    name: CHAT_WORKFLOW,
    handlers: {
      run: async (ctx: restate.WorkflowContext, input: ChatJobInput): Promise<ChatJobResult> => {
        ctx.set('input', input);
        // Attempts of this execution of the handler (a replay after a crash starts over).
        let attempt = 0;
        try {
          const result = await ctx.run(
            'claude',
            async () => {
              attempt += 1;
              try {
                return await call(input.message, attempt);
              } catch (err) {
                if (err instanceof ModelCallError && err.permanent)
                  throw new restate.TerminalError(err.message);
                if (err instanceof ModelCallError && err.retryAfterMs !== undefined)
                  throw new restate.RetryableError(err.message, { retryAfter: err.retryAfterMs });
                throw err;
              }
            },
            {
              maxRetryAttempts: settings.RESTATE_MAX_ATTEMPTS,
              initialRetryInterval: settings.RESTATE_RETRY_INTERVAL_MS,
              retryIntervalFactor: 2,
              maxRetryInterval: settings.RESTATE_MAX_RETRY_INTERVAL_MS,
            },
          );
          ctx.set('result', result);
          return result;
        } catch (err) {
          if (err instanceof restate.TerminalError) ctx.set('error', err.message);
          throw err;
        }
      },
      status: async (ctx: restate.WorkflowSharedContext): Promise<ChatState> => {
        const [input, result, error] = await Promise.all([
          ctx.get<ChatJobInput>('input'),
          ctx.get<ChatJobResult>('result'),
          ctx.get<string>('error'),
        ]);
        return {
          ...(input ? { input } : {}),
          ...(result ? { result } : {}),
          ...(error ? { error } : {}),
        };
      },
    },
  });
}
