/** One figure's load runs (one per round) summarised: medians of latencies, sums of counts. */
import type { Measured } from './measure';
import { median, round } from './stats';

/** Medians over rounds (counts summed; CPU per job from CPU-ms over the drain-inclusive window). */
export interface LoadSummary {
  rounds: number;
  acceptP50: number;
  acceptP99: number;
  e2eP50: number;
  e2eP95: number;
  e2eP99: number;
  processingP95: number;
  queueWaitP99: number;
  sent: number;
  accepted: number;
  completed: number;
  lost: number;
  refused: number;
  /** CPU% per process (median over rounds). */
  cpu: Record<string, number>;
  /** CPU-ms per completed job per process (median over rounds). */
  cpuMsPerJob: Record<string, number>;
  /** Most successful model calls any job got, and the mean. */
  successfulModelCalls: { max: number; mean: number };
  faultP95Ms?: { faulted: number; clean: number };
}

const med = (xs: number[]) => round(median(xs), 1);

/** Summarises the rounds of one figure. */
export function summarizeRounds(runs: readonly Measured[]): LoadSummary {
  const lat = (f: (m: Measured) => number) => med(runs.map(f));
  const sum = (f: (m: Measured) => number) => runs.reduce((s, m) => s + f(m), 0);
  const names = new Set(runs.flatMap((m) => Object.keys(m.cpu)));
  const cpu: Record<string, number> = {};
  const cpuMsPerJob: Record<string, number> = {};
  for (const name of names) {
    cpu[name] = med(runs.map((m) => m.cpu[name] ?? NaN));
    cpuMsPerJob[name] = med(
      runs.map((m) =>
        m.report.counts.completed > 0 ? (m.cpuMs[name] ?? NaN) / m.report.counts.completed : NaN,
      ),
    );
  }
  const faults = runs.filter((m) => m.faultP95Ms);
  return {
    rounds: runs.length,
    acceptP50: lat((m) => m.report.latencyMs.accept.p50),
    acceptP99: lat((m) => m.report.latencyMs.accept.p99),
    e2eP50: lat((m) => m.report.latencyMs.endToEnd.p50),
    e2eP95: lat((m) => m.report.latencyMs.endToEnd.p95),
    e2eP99: lat((m) => m.report.latencyMs.endToEnd.p99),
    processingP95: lat((m) => m.report.latencyMs.processing.p95),
    queueWaitP99: lat((m) => m.report.latencyMs.queueWait.p99),
    sent: sum((m) => m.report.counts.sent),
    accepted: sum((m) => m.report.counts.accepted),
    completed: sum((m) => m.report.counts.completed),
    lost: sum((m) => m.report.counts.lost),
    refused: sum((m) => m.report.counts.refused),
    cpu,
    cpuMsPerJob,
    successfulModelCalls: {
      max: Math.max(0, ...runs.map((m) => m.successfulModelCalls.max)),
      mean: med(runs.map((m) => m.successfulModelCalls.mean)),
    },
    ...(faults.length > 0
      ? {
          faultP95Ms: {
            faulted: med(faults.map((m) => m.faultP95Ms!.faulted)),
            clean: med(faults.map((m) => m.faultP95Ms!.clean)),
          },
        }
      : {}),
  };
}

/**
 * Mean completions per second over [fromS, toS) of a run's timeline (from toS / 2 when the run
 * is too short for `fromS`, as in quick runs).
 */
export function steadyRate(m: Measured, fromS: number, toS: number): number {
  const from = Math.min(fromS, toS / 2);
  const points = m.report.timeline.filter((p) => p.t >= from && p.t < toS);
  if (points.length === 0) return 0;
  return round(points.reduce((s, p) => s + p.completed, 0) / points.length, 1);
}
