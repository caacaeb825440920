/**
 * The open-loop load generator: requests leave on a fixed schedule (rate × time) whatever the
 * target answers, so a slow system shows up as latency and refusals instead of silently lowering
 * the offered load (the coordinated-omission trap of closed-loop tools). Accepted jobs are then
 * polled to their final status by a bounded poller; jobs still unfinished when the drain timeout
 * passes are reported as lost.
 */
import { randomBytes } from 'node:crypto';
import { createJsonClient, TransportError } from './http-json';
import type { LoadtestOptions } from './options';
import { startPoller } from './poller';
import type { JobRecord, LiveCounters } from './types';
import { createWorkload } from './workload';

/** Everything a run produced; {@link buildReport} turns it into figures. */
export interface LoadtestRun {
  options: LoadtestOptions;
  runId: string;
  /** Epoch ms at which the schedule started (t = 0 of every relative time). */
  startedAtEpochMs: number;
  /** ms after the start when sending finished. */
  sendEndedMs: number;
  /** ms after the start when the run ended (all finished, or the drain timed out). */
  endedMs: number;
  records: JobRecord[];
  polls: number;
}

/** Hooks for callers that show progress or act during the run. */
export interface LoadtestHooks {
  onProgress?(counters: LiveCounters): void;
  /** Called for each 202 (e.g. the chaos runner tracks which jobs are in flight). */
  onAccepted?(record: JobRecord): void;
  /** Aborts sending and draining early (the report then counts unfinished jobs as lost). */
  signal?: AbortSignal;
}

const PROGRESS_EVERY_MS = 250;

function refusalOf(status: number, body: unknown): string {
  const code =
    body && typeof body === 'object' && 'error' in body ? String(body.error) : 'no_error_code';
  return `${status} ${code}`;
}

/** Runs one load test to completion (bounded by duration + drain timeout). */
export async function runLoadtest(
  options: LoadtestOptions,
  hooks: LoadtestHooks = {},
): Promise<LoadtestRun> {
  const runId = `lt${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const nextRequest = createWorkload({
    users: options.users,
    userPrefix: options.userPrefix,
    priorityMix: options.priorityMix,
    messageMix: options.messageMix,
    fake: {
      latencyMs: options.latencyMs,
      ttftMs: options.ttftMs,
      tps: options.tps,
      failMix: options.failMix,
    },
    runId,
    seed: options.seed,
  });
  const client = createJsonClient(options.url, Math.max(64, options.pollConcurrency * 2 + 256));
  const t0 = performance.now();
  const startedAtEpochMs = Date.now();
  const now = () => performance.now() - t0;
  const poller = startPoller({
    client,
    intervalMs: options.pollIntervalMs,
    concurrency: options.pollConcurrency,
    requestTimeoutMs: options.requestTimeoutMs,
    now,
  });

  const planned = Math.max(1, Math.round(options.rate * options.durationS));
  const records: JobRecord[] = [];
  const counters: LiveCounters = {
    elapsedMs: 0,
    planned,
    sent: 0,
    accepted: 0,
    refused: 0,
    completed: 0,
    failed: 0,
    pending: 0,
    currentRate: 0,
    phase: 'sending',
  };
  const recentSends: number[] = [];
  let inFlightPosts = 0;
  const posts = new Set<Promise<void>>();

  const report = () => {
    counters.elapsedMs = now();
    while (recentSends.length > 0 && recentSends[0]! < counters.elapsedMs - 1_000)
      recentSends.shift();
    counters.currentRate = recentSends.length;
    hooks.onProgress?.({ ...counters });
  };
  const progressTimer = setInterval(report, PROGRESS_EVERY_MS);

  const submit = async (record: JobRecord, message: string): Promise<void> => {
    try {
      const answer = await client.request(
        'POST',
        '/chat',
        { user_id: record.userId, message, priority: record.priority },
        options.requestTimeoutMs,
      );
      record.acceptMs = answer.ms;
      record.httpStatus = answer.status;
      const body = answer.body as Record<string, unknown> | undefined;
      if (answer.status === 202 && body && typeof body.job_id === 'string') {
        record.jobId = body.job_id;
        record.submittedAt = typeof body.submitted_at === 'string' ? body.submitted_at : undefined;
        counters.accepted += 1;
        counters.pending += 1;
        hooks.onAccepted?.(record);
        poller.watch(body.job_id, ({ body: job, detectedAt }) => {
          record.detectedAt = detectedAt;
          record.status = String(job.status);
          record.startedAt = typeof job.started_at === 'string' ? job.started_at : undefined;
          record.completedAt = typeof job.completed_at === 'string' ? job.completed_at : undefined;
          record.attempts = typeof job.attempts === 'number' ? job.attempts : undefined;
          record.response = typeof job.response === 'string' ? job.response : undefined;
          const error = job.error as { type?: unknown } | undefined;
          if (error && typeof error.type === 'string') record.errorType = error.type;
          if (record.expected !== undefined)
            record.correct = (record.response ?? '').includes(record.expected);
          counters.pending -= 1;
          if (record.status === 'completed') counters.completed += 1;
          else counters.failed += 1;
        });
      } else {
        record.refusal = refusalOf(answer.status, body);
        counters.refused += 1;
      }
    } catch (err) {
      record.httpStatus = 0;
      record.refusal = `network ${err instanceof TransportError ? err.code : 'error'}`;
      counters.refused += 1;
    }
  };

  // Sending: issue every request whose scheduled time has come, then sleep to the next one.
  for (let seq = 0; seq < planned && !hooks.signal?.aborted;) {
    const dueAt = (seq * 1_000) / options.rate;
    const wait = dueAt - now();
    if (wait > 1) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    const plannedRequest = nextRequest(seq);
    const record: JobRecord = {
      seq,
      userId: plannedRequest.userId,
      priority: plannedRequest.priority,
      kind: plannedRequest.kind,
      key: plannedRequest.key,
      expected: plannedRequest.expected,
      fault: plannedRequest.fault,
      sentAt: now(),
    };
    records.push(record);
    counters.sent += 1;
    recentSends.push(record.sentAt);
    seq += 1;
    if (inFlightPosts >= options.maxInFlight) {
      // The target is so slow that unanswered POSTs pile up: refuse on the client side rather
      // than open unbounded sockets (and say so in the report).
      record.httpStatus = 0;
      record.refusal = 'client max-in-flight';
      counters.refused += 1;
      continue;
    }
    inFlightPosts += 1;
    const post = submit(record, plannedRequest.message).finally(() => {
      inFlightPosts -= 1;
      posts.delete(post);
    });
    posts.add(post);
  }
  await Promise.all([...posts]);
  const sendEndedMs = now();
  counters.phase = 'draining';

  // Draining: wait for every accepted job to finish, up to the drain timeout.
  const drainDeadline = now() + options.drainTimeoutS * 1_000;
  while (counters.pending > 0 && now() < drainDeadline && !hooks.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await poller.stop();
  clearInterval(progressTimer);
  counters.phase = 'done';
  report();
  client.close();
  return {
    options,
    runId,
    startedAtEpochMs,
    sendEndedMs,
    endedMs: now(),
    records,
    polls: poller.polls(),
  };
}
