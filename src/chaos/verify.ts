/**
 * After a chaos run: did every accepted job finish exactly once, with the right answer?
 */
import type { FakeCall } from '../fake-claude';
import type { JobRecord } from '../loadtest';
import { callsByKey } from './fake-calls';

/** Outcome of the checks. */
export interface Verification {
  accepted: number;
  completed: number;
  /** Accepted but never seen finished before the drain timeout. */
  lost: number;
  failed: number;
  wrongAnswers: number;
  /** Jobs whose result was recorded other than exactly once. */
  notExactlyOnce: number;
  /** How exactly-once was established: Temporal histories, or the fake's log of completed calls. */
  evidence: 'temporal-history' | 'fake-call-log';
  /** Jobs whose model call completed more than once (at-least-once model work; not a loss). */
  duplicateModelCalls: number;
  /** Model calls per job: attempts that reached the fake, and those that completed. */
  modelCalls: { total: number; completed: number };
  /** Up to 20 examples of each problem. */
  problems: string[];
  ok: boolean;
}

/**
 * Checks `records` (accepted jobs) against the fake's call log and, when given, the per-job count
 * of results Temporal recorded.
 */
export function verifyRun(
  records: readonly JobRecord[],
  calls: readonly FakeCall[],
  recordedResults?: Map<string, number>,
): Verification {
  const byKey = callsByKey(calls);
  const accepted = records.filter((r) => r.jobId !== undefined);
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < 20) problems.push(text);
  };
  let lost = 0;
  let completed = 0;
  let failed = 0;
  let wrong = 0;
  let notOnce = 0;
  let duplicates = 0;
  for (const r of accepted) {
    const keyCalls = byKey.get(r.key) ?? [];
    const completedCalls = keyCalls.filter((c) => c.completed).length;
    if (completedCalls > 1) duplicates += 1;
    if (r.status === undefined) {
      lost += 1;
      note(`lost: job ${r.jobId} (${keyCalls.length} model calls)`);
      continue;
    }
    if (r.status !== 'completed') {
      failed += 1;
      note(`failed: job ${r.jobId} ${r.status} ${r.errorType ?? ''}`);
      continue;
    }
    completed += 1;
    if (r.correct === false) {
      wrong += 1;
      note(`wrong answer: job ${r.jobId} expected "${r.expected}" got "${r.response}"`);
    }
    const results = recordedResults ? recordedResults.get(r.jobId!) : completedCalls;
    if (results !== 1) {
      notOnce += 1;
      note(`result recorded ${results} times: job ${r.jobId}`);
    }
  }
  return {
    accepted: accepted.length,
    completed,
    lost,
    failed,
    wrongAnswers: wrong,
    notExactlyOnce: notOnce,
    evidence: recordedResults ? 'temporal-history' : 'fake-call-log',
    duplicateModelCalls: duplicates,
    modelCalls: { total: calls.length, completed: calls.filter((c) => c.completed).length },
    problems,
    ok: lost === 0 && failed === 0 && wrong === 0 && notOnce === 0,
  };
}
