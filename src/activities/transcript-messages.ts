import { ApplicationFailure } from '@temporalio/activity';
import {
  FailureType,
  type AgentContentBlock,
  type AgentMessage,
  type TranscriptAppend,
} from '../shared';
import type { TranscriptStore } from '../transcripts/types';

function missing(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.TranscriptMissing,
    message: `${message} (workers on several machines need TRANSCRIPT_DATABASE_URL)`,
    nonRetryable: true,
  });
}

/** The messages `append` adds: the seed, or the previous reply and its tool results. */
async function appended(
  store: TranscriptStore,
  jobId: string,
  append: TranscriptAppend,
): Promise<AgentMessage[]> {
  if ('seed' in append) return append.seed;
  const stored = await store.toolOutputs(
    jobId,
    append.results.filter((r) => r.output === undefined).map((r) => r.toolUseId),
  );
  const results = append.results.map((r): AgentContentBlock => {
    const found = r.output === undefined ? stored.get(r.toolUseId) : undefined;
    if (r.output === undefined && !found) {
      throw missing(`The output of tool call ${r.toolUseId} is not in the transcript store`);
    }
    const output = found ?? { output: r.output ?? '', isError: r.isError };
    // The same object shape, key order included, as the inline transcript builds.
    return {
      type: 'tool_result',
      tool_use_id: r.toolUseId,
      content: output.output,
      ...(output.isError ? { is_error: true } : {}),
    };
  });
  return [
    { role: 'assistant', content: append.reply },
    { role: 'user', content: results },
  ];
}

/**
 * The transcript of model call `call` of a job kept by reference: stores what this call appends
 * as entry `call` (insert-if-absent, so a retried or replayed call re-reads the first write) and
 * returns entries `0..call`. The messages are byte for byte those the inline path sends.
 */
export async function transcriptMessages(
  store: TranscriptStore,
  jobId: string,
  call: number,
  append: TranscriptAppend,
): Promise<AgentMessage[]> {
  const own = await store.putEntry(
    jobId,
    call,
    JSON.stringify(await appended(store, jobId, append)),
  );
  const earlier = await store.entries(jobId, call);
  if (earlier.length < call) {
    throw missing(`Transcript entry ${earlier.length} of job ${jobId} is not in the store`);
  }
  return [...earlier, own].flatMap((json) => JSON.parse(json) as AgentMessage[]);
}
