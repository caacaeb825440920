import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import {
  FailureType,
  type ConversationState,
  type ConversationTurn,
  type SubmitMessage,
} from '../shared';

/**
 * Double-texting (`on_busy`) in a conversation: what a new message does when a turn is already
 * running or waiting. Decided inside the conversation workflow, in the same update that accepts
 * the message, so no other message can slip in between the check and the decision.
 *
 * - `enqueue` (absent): wait behind it, as always;
 * - `reject`: refused in the update's validator (nothing is written to history);
 * - `interrupt`: the running turn's child job is cancelled (its in-flight model call aborted, as
 *   by `DELETE /chat/:id`); it stays in the transcript as `cancelled`, marked interrupted;
 * - `rollback`: likewise cancelled, then removed from the transcript.
 */

/** The running turn and the scope its child job runs in, so a newer message can cancel it. */
export interface RunningTurn {
  turn?: ConversationTurn;
  scope?: CancellationScope;
}

/** The turn a new message would wait behind: the one running, else the first queued. */
export function busyWith(state: ConversationState): ConversationTurn | undefined {
  return (
    state.turns.find((t) => t.status === 'processing') ??
    state.turns.find((t) => t.status === 'queued')
  );
}

/** Validator step: a `reject` message is refused while a turn runs or waits. */
export function rejectIfBusy(message: SubmitMessage, state: ConversationState): void {
  if (message.onBusy !== 'reject') return;
  const busy = busyWith(state);
  if (!busy) return;
  throw ApplicationFailure.create({
    type: FailureType.ConversationBusy,
    message: `Turn ${busy.turn} (job ${busy.jobId}) is still ${busy.status}`,
    nonRetryable: true,
    details: [{ runningJobId: busy.jobId }],
  });
}

/** Handler step: an `interrupt` or `rollback` message stops the running turn. */
export function interruptIfAsked(message: SubmitMessage, running: RunningTurn): void {
  const policy = message.onBusy;
  if (policy !== 'interrupt' && policy !== 'rollback') return;
  const { turn, scope } = running;
  if (!turn || !scope || turn.status !== 'processing' || turn.interruptedBy) return;
  turn.interruptedBy = { jobId: message.jobId, policy };
  scope.cancel();
}

/** Runs a turn's child job in a scope a newer message can cancel. */
export async function runInterruptible<T>(
  running: RunningTurn,
  turn: ConversationTurn,
  child: () => Promise<T>,
): Promise<T> {
  const scope = new CancellationScope();
  running.turn = turn;
  running.scope = scope;
  try {
    return await scope.run(child);
  } finally {
    running.turn = undefined;
    running.scope = undefined;
  }
}

/**
 * After an interrupted turn has stopped: a rolled-back one leaves the transcript. A turn that
 * finished before the cancellation reached it was not interrupted: it stays, unmarked.
 */
export function settleInterruption(state: ConversationState, turn: ConversationTurn): void {
  if (!turn.interruptedBy) return;
  if (turn.status !== 'cancelled') {
    delete turn.interruptedBy;
    return;
  }
  if (turn.interruptedBy.policy === 'rollback') state.turns = state.turns.filter((t) => t !== turn);
}
