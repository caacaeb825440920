import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import pino from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import { createConversationService } from '../api/conversation-service';
import { createJobSubmitter } from '../api/job-submission';
import { deadlineIn } from '../api/request-deadline';
import type { AppConfig } from '../config';
import { DEFAULT_PRIORITY } from '../shared';

/**
 * Replay-fixture scenarios of transcripts by reference (docs/transcripts.md), recorded since v7:
 * an agent job whose input has `transcript: {store: 'ref'}`, with two tool calls in a row (model
 * calls carry only what they append; tool results come back as previews).
 */
export const TRANSCRIPT_SCENARIO_NAMES = ['agent-transcript-ref'] as const;

/** Runs the transcript scenarios on `client` (workers with a transcript store polling). */
export async function recordTranscriptScenarios(
  client: Client,
  recorderConfig: AppConfig,
  save: (name: (typeof TRANSCRIPT_SCENARIO_NAMES)[number], history: History) => Promise<void>,
): Promise<void> {
  // The recorder has no database: by reference on its file store, as TRANSCRIPT_BY_REFERENCE=true.
  const config = {
    ...recorderConfig,
    transcripts: { ...recorderConfig.transcripts, byReference: true },
  };
  const registry = createToolRegistry();
  const submitter = createJobSubmitter({
    client,
    config,
    logger: pino({ level: 'silent' }),
    registry,
    conversations: createConversationService({ client, config, registry }),
  });
  const job = await submitter.submit(
    {
      kind: 'agent',
      message: 'Add it up [[fake tool=calculator tool_input={"expression":"2+3"} tool_calls=2]]',
      userId: 'fixture-user',
      priority: DEFAULT_PRIORITY,
      model: config.claude.model,
    },
    deadlineIn(config.http.temporalRpcTimeoutMs),
  );
  const handle = client.workflow.getHandle(job.jobId);
  await handle.result();
  await save('agent-transcript-ref', await handle.fetchHistory());
}
