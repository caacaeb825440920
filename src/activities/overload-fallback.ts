import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { FailureType, type ModelSettings } from '../shared';

/**
 * What one attempt leaves for the next in its heartbeat details (Temporal hands the last
 * heartbeat of a failed attempt to the retry): how many answers in a row were 529 overloaded,
 * and whether the call already moved to the fallback model.
 */
export interface OverloadState {
  overloadedStreak?: number;
  onFallback?: boolean;
}

/** The model an attempt uses, and the overload state it starts from. */
export interface ModelChoice {
  model: string;
  fallback: boolean;
  state: Required<OverloadState>;
}

/**
 * Chooses the model of this attempt. With a fallback configured, a call whose previous attempts
 * got `afterOverloaded` 529s in a row moves to the fallback model and stays there for the rest of
 * the call. Kept in the activity (not the workflow), so it adds no history event and no command:
 * histories recorded before it existed replay unchanged.
 */
export function chooseModel(ctx: Context, settings: ModelSettings, log: Logger): ModelChoice {
  const previous = (ctx.info.heartbeatDetails ?? {}) as OverloadState;
  const state = {
    overloadedStreak: previous.overloadedStreak ?? 0,
    onFallback: previous.onFallback ?? false,
  };
  const fallback = settings.fallback;
  if (fallback && fallback.model !== settings.model) {
    if (state.onFallback || state.overloadedStreak >= fallback.afterOverloaded) {
      log.warn({ model: fallback.model }, 'Claude overloaded: using the fallback model');
      return { model: fallback.model, fallback: true, state: { ...state, onFallback: true } };
    }
  }
  return { model: settings.model, fallback: false, state };
}

/** Failures where Claude gave no answer: they neither extend nor end a run of 529s. */
const NOT_AN_ANSWER: ReadonlySet<string> = new Set([
  FailureType.WorkerShutdown,
  FailureType.ClaudeConnection,
  FailureType.ClaudeTimeout,
]);

/**
 * The overload state the next attempt should see after this one failed with `failureType`: a 529
 * extends the streak, any other answer from Claude ends it, and a failure that was not Claude's
 * answer (a lost connection to this worker, a shutdown, a cancellation) leaves it as it was.
 */
export function overloadStateAfter(
  state: Required<OverloadState>,
  failureType: string | undefined,
): Required<OverloadState> {
  if (failureType === FailureType.ClaudeOverloaded) {
    return { ...state, overloadedStreak: state.overloadedStreak + 1 };
  }
  if (failureType === undefined || NOT_AN_ANSWER.has(failureType)) return state;
  return { ...state, overloadedStreak: 0 };
}

/**
 * Leaves the overload state for the next attempt in this attempt's last heartbeat (merged into
 * the call's progress, which the timer keeps sending), before the failure is thrown. Called by
 * the shared failure path of both model-call activities (model-call-failure.ts).
 */
export function recordOverloadOutcome(
  ctx: Context,
  progress: OverloadState,
  state: Required<OverloadState>,
  failure: Error,
): void {
  Object.assign(
    progress,
    overloadStateAfter(
      state,
      failure instanceof ApplicationFailure ? (failure.type ?? undefined) : undefined,
    ),
  );
  ctx.heartbeat(progress);
}
