/**
 * Recovery times of each fault, from the fake's call log and the jobs' server timestamps:
 *
 * - affected jobs of a worker kill/stop: model calls in flight at the fault that never completed
 *   (the victim's) and were followed by a retry;
 * - resume: fault → the retry's call reaching the model (a retry's first token follows after the
 *   model's own time to first token);
 * - completion: fault → the affected job's completion.
 */
import type { FakeCall } from '../fake-claude';
import type { JobRecord } from '../loadtest';
import { summarize, type Summary } from '../loadtest/stats';
import { callsByKey } from './fake-calls';
import type { ChaosAction } from './schedule';

/** A fault as it happened. */
export interface ExecutedAction {
  action: ChaosAction;
  /** ms since the load run started (same clock as the job records). */
  atMs: number;
  /** Epoch ms of the fault. */
  atEpochMs: number;
  pid?: number;
  /** Calls in flight just before the fault: key → attempt. */
  inFlight: Map<string, number>;
  /** Epoch ms when the process or server was back (restart/resume done). */
  backAtEpochMs?: number;
  error?: string;
}

/** Recovery figures of one fault. */
export interface RecoveryFigures {
  kind: ChaosAction['kind'];
  atS: number;
  worker?: number;
  pid?: number;
  inFlightAtFault: number;
  affectedJobs: number;
  /** Fault → retry call reaching the model (ms). */
  resumeMs: Summary;
  /** Fault → completion of the affected jobs (ms). */
  completionMs: Summary;
  /** Fault → first completion of an affected job (ms); NaN when none. */
  firstCompletionMs: number;
  /** ms until the killed/stopped process or server was back. */
  backAfterMs?: number;
  error?: string;
}

/** Computes {@link RecoveryFigures} for each executed action. */
export function recoveryFigures(
  executed: readonly ExecutedAction[],
  records: readonly JobRecord[],
  calls: readonly FakeCall[],
): RecoveryFigures[] {
  const byKey = callsByKey(calls);
  const jobByKey = new Map(records.filter((r) => r.jobId).map((r) => [r.key, r]));
  return executed.map((e) => {
    const resume: number[] = [];
    const completion: number[] = [];
    let affected = 0;
    if (e.action.kind === 'kill-temporal') {
      // Every job unfinished at the crash is affected; recovery is its completion.
      for (const r of records) {
        if (!r.jobId || r.completedAt === undefined) continue;
        const done = Date.parse(r.completedAt);
        const submitted = r.submittedAt ? Date.parse(r.submittedAt) : Infinity;
        if (submitted <= e.atEpochMs && done > e.atEpochMs) {
          affected += 1;
          completion.push(done - e.atEpochMs);
        }
      }
    } else {
      for (const [key, attempt] of e.inFlight) {
        const keyCalls = byKey.get(key) ?? [];
        const victimCall = keyCalls.find((c) => c.attempt === attempt);
        const retry = keyCalls.find((c) => c.attempt > attempt);
        // Calls that completed were on a surviving worker (or finished before the fault).
        if (!victimCall || victimCall.completed || !retry) continue;
        affected += 1;
        resume.push(Date.parse(retry.at) - e.atEpochMs);
        const job = jobByKey.get(key);
        if (job?.completedAt) completion.push(Date.parse(job.completedAt) - e.atEpochMs);
      }
    }
    return {
      kind: e.action.kind,
      atS: Math.round(e.atMs) / 1_000,
      ...('worker' in e.action ? { worker: e.action.worker + 1 } : {}),
      pid: e.pid,
      inFlightAtFault: e.inFlight.size,
      affectedJobs: affected,
      resumeMs: summarize(resume),
      completionMs: summarize(completion),
      firstCompletionMs: completion.length === 0 ? Number.NaN : Math.min(...completion),
      backAfterMs: e.backAtEpochMs === undefined ? undefined : e.backAtEpochMs - e.atEpochMs,
      error: e.error,
    };
  });
}
