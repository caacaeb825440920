/** Adapts a {@link LocalStack} (our system) to the chaos runner. */
import type { LocalStack } from '../stack/local-stack';
import { countActivityCompletions } from './history-completions';
import type { ChaosTarget } from './runner';

/** A chaos target on our stack; Temporal kills only when the stack runs its own dev server. */
export function stackChaosTarget(stack: LocalStack): ChaosTarget {
  const ownsTemporal = stack.temporalPid() !== undefined;
  return {
    system: 'agent-fleet',
    apiUrl: stack.apiUrl,
    fakeUrl: stack.fakeUrl,
    activityWorkers: stack.activityWorkers,
    startWorker: (worker) => stack.startWorker(worker),
    ...(ownsTemporal
      ? { killTemporal: () => stack.killTemporal(), restartTemporal: () => stack.restartTemporal() }
      : {}),
    recordedResults: (jobIds) => countActivityCompletions(stack.client, jobIds),
  };
}
