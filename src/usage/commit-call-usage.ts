import { ApplicationFailure } from '@temporalio/activity';
import { FailureType, type UsageCallRecord } from '../shared';
import type { UsageSink } from './types';

/**
 * Records one successful model call's usage and waits for the commit, from inside the
 * model-call activity (before it completes). If the commit fails the activity fails with a
 * retryable `UsageNotRecorded`: Temporal retries the call, whose record has the same key, so the
 * job is counted exactly once either way.
 */
export async function commitCallUsage(
  sink: UsageSink | undefined,
  record: UsageCallRecord,
): Promise<void> {
  try {
    if (!sink) throw new Error('this worker has no usage sink');
    await sink.record(record);
  } catch (err) {
    throw ApplicationFailure.create({
      type: FailureType.UsageNotRecorded,
      message: `The model call's usage could not be recorded: ${(err as Error).message}`,
    });
  }
}

/** True for the failure {@link commitCallUsage} throws (it must not be classified as Claude's). */
export function isUsageNotRecorded(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure && err.type === FailureType.UsageNotRecorded;
}
