/**
 * Which failure (if any) an attempt gets: the scripted step for its attempt number, else a random
 * fault drawn from the seeded PRNG, else success.
 */
import { type FailureStep } from './failure-script';
import { type ResolvedOptions } from './options';
import { type FakeCallOutcome } from './types';

const OK: FailureStep = { kind: 'ok' };

/**
 * Choose the step for attempt `attempt` (1-based) of a conversation.
 *
 * @param script - the directive's script if it has one, else the global one.
 * @param random - seeded PRNG, only consumed when fault rates are configured.
 */
export function chooseStep(
  script: FailureStep[],
  attempt: number,
  rates: ResolvedOptions['faultRates'],
  random: () => number,
): FailureStep {
  const scripted = script[attempt - 1];
  if (scripted) return scripted;
  const total = rates.rateLimited + rates.overloaded + rates.serverError + rates.reset;
  if (total <= 0) return OK;
  // One draw per request, split into bands, keeps the fault sequence a pure function of the seed.
  const roll = random();
  let band = rates.rateLimited;
  if (roll < band) return { kind: 'status', status: 429, retryAfterS: rates.retryAfterS ?? 1 };
  band += rates.overloaded;
  if (roll < band) {
    return rates.retryAfterS === undefined
      ? { kind: 'status', status: 529 }
      : { kind: 'status', status: 529, retryAfterS: rates.retryAfterS };
  }
  band += rates.serverError;
  if (roll < band) return { kind: 'status', status: 500 };
  band += rates.reset;
  if (roll < band) return { kind: 'reset' };
  return OK;
}

/** The call-log outcome of a failure step (success outcomes are decided by the reply). */
export function failureOutcome(step: FailureStep): FakeCallOutcome {
  switch (step.kind) {
    case 'ok':
      return 'ok';
    case 'reset':
      return 'reset';
    case 'hang':
      return 'hang';
    case 'stream_error':
      return 'overloaded';
    case 'status':
      if (step.status === 429) return 'rate_limited';
      if (step.status === 529) return 'overloaded';
      if (step.status === 401) return 'unauthorized';
      // 408/409 are transient like 5xx: the SDK retries them, so they count as server errors.
      if (step.status >= 500 || step.status === 408 || step.status === 409) return 'server_error';
      return 'bad_request';
  }
}
