/**
 * Turns a {@link LoadtestRun} into the report's figures: counts, refusals by reason, latency
 * percentiles and per-second timelines (throughput and backlog).
 */
import type { LoadtestRun } from './engine';
import {
  histogram,
  round1,
  roundSummary,
  summarize,
  type HistogramBin,
  type Summary,
} from './stats';
import type { JobRecord } from './types';

/** One second of the run. */
export interface TimelinePoint {
  /** Second since the start. */
  t: number;
  sent: number;
  accepted: number;
  refused: number;
  /** Jobs that finished (server `completed_at`) during this second. */
  completed: number;
  failed: number;
  /** Accepted, not yet started, at the end of this second. */
  queued: number;
  /** Started, not yet finished, at the end of this second. */
  running: number;
}

/** The loadtest report (also the JSON file). */
export interface LoadtestReport {
  tool: 'agent-fleet-loadtest';
  runId: string;
  url: string;
  startedAt: string;
  settings: {
    rate: number;
    durationS: number;
    users: number;
    priorityMix: Record<string, number | undefined>;
    messageMix: Record<string, number | undefined>;
    fake: { latencyMs?: number; ttftMs?: number; tps?: number; failMix?: Record<string, number> };
    pollIntervalMs: number;
    pollConcurrency: number;
    drainTimeoutS: number;
  };
  counts: {
    sent: number;
    accepted: number;
    refused: number;
    completed: number;
    failed: number;
    cancelled: number;
    /** Accepted but not finished when the drain timeout passed. */
    lost: number;
    /** Arithmetic jobs that completed with a wrong answer. */
    wrongAnswers: number;
    /** GET /chat/:id requests the poller made. */
    polls: number;
  };
  /** Refusals by `HTTP-status error-code` (429/503 are expected under admission control). */
  refusals: Record<string, number>;
  /** Failed jobs by error type. */
  failures: Record<string, number>;
  /** ms. Accept = POST round trip of 202s; e2e/queue wait/processing from server timestamps. */
  latencyMs: {
    accept: Summary;
    endToEnd: Summary;
    queueWait: Summary;
    processing: Summary;
    /** Time from send to the poller seeing the final status (includes poll delay). */
    observedEndToEnd: Summary;
  };
  throughput: {
    /** Accepted per second over the sending window. */
    acceptedPerS: number;
    /** Completed per second from the first submission to the last completion. */
    completedPerS: number;
    /** Highest completions in any one second. */
    peakCompletedPerS: number;
  };
  histograms: { accept: HistogramBin[]; endToEnd: HistogramBin[] };
  timeline: TimelinePoint[];
  /** Job ids accepted but never seen finished (first 100). */
  lostJobIds: string[];
  durationMs: { sending: number; total: number };
}

const ms = (iso: string | undefined, startEpoch: number): number | undefined =>
  iso === undefined ? undefined : Date.parse(iso) - startEpoch;

function increment(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function defined(values: Array<number | undefined>): number[] {
  return values.filter((v): v is number => v !== undefined && Number.isFinite(v));
}

/** Relative times (ms since the start) of one record, from server timestamps. */
function timesOf(record: JobRecord, start: number) {
  const submitted = ms(record.submittedAt, start);
  const started = ms(record.startedAt, start);
  const completed = ms(record.completedAt, start);
  return { submitted, started, completed };
}

/** Builds the report. */
export function buildReport(run: LoadtestRun): LoadtestReport {
  const start = run.startedAtEpochMs;
  const records = run.records;
  const accepted = records.filter((r) => r.jobId !== undefined);
  const finished = accepted.filter((r) => r.status !== undefined);
  const completed = finished.filter((r) => r.status === 'completed');
  const refusals: Record<string, number> = {};
  for (const r of records) if (r.refusal) increment(refusals, r.refusal);
  const failures: Record<string, number> = {};
  for (const r of finished)
    if (r.status !== 'completed') increment(failures, r.errorType ?? r.status ?? 'unknown');

  const accept = defined(accepted.map((r) => r.acceptMs));
  const endToEnd: number[] = [];
  const queueWait: number[] = [];
  const processing: number[] = [];
  for (const r of completed) {
    const t = timesOf(r, start);
    if (t.submitted !== undefined && t.completed !== undefined)
      endToEnd.push(t.completed - t.submitted);
    if (t.submitted !== undefined && t.started !== undefined)
      queueWait.push(t.started - t.submitted);
    if (t.started !== undefined && t.completed !== undefined)
      processing.push(t.completed - t.started);
  }
  const observed = defined(completed.map((r) => (r.detectedAt ?? NaN) - r.sentAt));

  // Per-second timeline over the whole run.
  const seconds = Math.max(1, Math.ceil(run.endedMs / 1_000));
  const timeline: TimelinePoint[] = Array.from({ length: seconds }, (_, t) => ({
    t,
    sent: 0,
    accepted: 0,
    refused: 0,
    completed: 0,
    failed: 0,
    queued: 0,
    running: 0,
  }));
  const at = (relMs: number | undefined) =>
    relMs === undefined
      ? undefined
      : timeline[Math.min(seconds - 1, Math.max(0, Math.floor(relMs / 1_000)))];
  for (const r of records) {
    at(r.sentAt)!.sent += 1;
    if (r.refusal) at(r.sentAt)!.refused += 1;
  }
  for (const r of accepted) {
    const t = timesOf(r, start);
    const point = at(t.submitted ?? r.sentAt);
    if (point) point.accepted += 1;
    const done = at(t.completed);
    if (done && r.status === 'completed') done.completed += 1;
    else if (done && r.status !== undefined) done.failed += 1;
    // Backlog: queued from submission to start, running from start to completion (or to the
    // end of the run for jobs never seen finished).
    const submitted = t.submitted ?? r.sentAt;
    const started = t.started ?? t.completed ?? run.endedMs;
    const ended = t.completed ?? run.endedMs;
    for (const point of timeline) {
      const edge = (point.t + 1) * 1_000;
      if (submitted <= edge && started > edge) point.queued += 1;
      else if (started <= edge && ended > edge) point.running += 1;
    }
  }

  const completions = completed
    .map((r) => timesOf(r, start).completed)
    .filter((v): v is number => v !== undefined);
  const firstSubmit = Math.min(...defined(accepted.map((r) => timesOf(r, start).submitted)));
  const lastCompletion = Math.max(...completions);
  const lost = accepted.filter((r) => r.status === undefined);
  return {
    tool: 'agent-fleet-loadtest',
    runId: run.runId,
    url: run.options.url,
    startedAt: new Date(start).toISOString(),
    settings: {
      rate: run.options.rate,
      durationS: run.options.durationS,
      users: run.options.users,
      priorityMix: run.options.priorityMix,
      messageMix: run.options.messageMix,
      fake: {
        latencyMs: run.options.latencyMs,
        ttftMs: run.options.ttftMs,
        tps: run.options.tps,
        failMix: run.options.failMix,
      },
      pollIntervalMs: run.options.pollIntervalMs,
      pollConcurrency: run.options.pollConcurrency,
      drainTimeoutS: run.options.drainTimeoutS,
    },
    counts: {
      sent: records.length,
      accepted: accepted.length,
      refused: records.length - accepted.length,
      completed: completed.length,
      failed: finished.filter((r) => r.status === 'failed').length,
      cancelled: finished.filter((r) => r.status === 'cancelled').length,
      lost: lost.length,
      wrongAnswers: completed.filter((r) => r.correct === false).length,
      polls: run.polls,
    },
    refusals,
    failures,
    latencyMs: {
      accept: roundSummary(summarize(accept)),
      endToEnd: roundSummary(summarize(endToEnd)),
      queueWait: roundSummary(summarize(queueWait)),
      processing: roundSummary(summarize(processing)),
      observedEndToEnd: roundSummary(summarize(observed)),
    },
    throughput: {
      acceptedPerS: round1(accepted.length / Math.max(0.001, run.sendEndedMs / 1_000)),
      completedPerS:
        completions.length === 0
          ? 0
          : round1(completions.length / Math.max(0.001, (lastCompletion - firstSubmit) / 1_000)),
      peakCompletedPerS: Math.max(0, ...timeline.map((p) => p.completed)),
    },
    histograms: { accept: histogram(accept), endToEnd: histogram(endToEnd) },
    timeline,
    lostJobIds: lost.slice(0, 100).map((r) => r.jobId!),
    durationMs: { sending: Math.round(run.sendEndedMs), total: Math.round(run.endedMs) },
  };
}
