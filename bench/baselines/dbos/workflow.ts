/**
 * The DBOS chat workflow: one workflow per chat, the model call as one step with DBOS's step
 * retries set like our retry policy (attempts, first interval, coefficient 2; a permanent model
 * error is not retried). DBOS checkpoints the step's result in PostgreSQL, so a recovered
 * workflow does not call the model again once the step has completed.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { ChatJobInput, ChatJobResult } from '../contract';
import { createModelCall, ModelCallError } from '../model-call';
import { CHAT_WORKFLOW, type DbosSettings } from './config';

/** Registers the workflow (before `DBOS.launch`); returns the registered function. */
export function registerChatWorkflow(
  settings: DbosSettings,
): (input: ChatJobInput) => Promise<ChatJobResult> {
  const call = createModelCall(settings);
  return DBOS.registerWorkflow(
    async (input: ChatJobInput): Promise<ChatJobResult> =>
      DBOS.runStep(() => call(input.message, DBOS.stepStatus?.currentAttempt ?? 1), {
        name: 'claude',
        retriesAllowed: true,
        maxAttempts: settings.DBOS_MAX_ATTEMPTS,
        intervalSeconds: settings.DBOS_RETRY_INTERVAL_MS / 1_000,
        backoffRate: 2,
        // DBOS has no per-error delay (our activity honours the model's retry-after): its
        // exponential backoff applies to 429/529 too. Permanent errors fail at once, like ours.
        shouldRetry: (err) => !(err instanceof ModelCallError && err.permanent),
      }),
    { name: CHAT_WORKFLOW },
  );
}
