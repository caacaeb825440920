import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ApiMetrics } from './api-metrics';

type DescribeTaskQueueResponse = Awaited<
  ReturnType<Client['workflowService']['describeTaskQueue']>
>;
type TaskQueueStats = NonNullable<DescribeTaskQueueResponse['stats']>;

/** One task queue (name and kind of task) to sample. */
export interface SampledQueue {
  name: string;
  type: 'workflow' | 'activity';
}

/** Options of {@link startQueueSampler}. */
export interface QueueSamplerOptions {
  client: Client;
  namespace: string;
  queues: SampledQueue[];
  metrics: ApiMetrics;
  logger: Logger;
  /** Time between samples; each queue costs one DescribeTaskQueue call per sample. */
  intervalMs: number;
}

/** A running sampler. */
export interface QueueSampler {
  /** Samples every queue once now (also used by tests to avoid waiting for the timer). */
  sampleOnce(): Promise<void>;
  stop(): void;
}

/**
 * Enum values of Temporal's API (temporal.api.enums.v1), spelled out because @temporalio/proto is
 * not one of our direct dependencies: TaskQueueType WORKFLOW = 1, ACTIVITY = 2; TaskQueueKind
 * NORMAL = 1 (not a worker's sticky queue).
 */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;
const TASK_QUEUE_KIND_NORMAL = 1;

/** Converts a protobuf Duration to seconds. */
function durationSeconds(d: TaskQueueStats['approximateBacklogAge']): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9;
}

/**
 * Samples task-queue backlogs in the background with DescribeTaskQueue (`reportStats`), so a
 * Prometheus scrape only reads gauges: scrapes never cost a Temporal call, and the call rate is
 * fixed by the interval however many Prometheus servers scrape. Priority keys that disappear from
 * the server's answer (no more tasks of that priority) are set back to 0 rather than left stale.
 */
export function startQueueSampler(options: QueueSamplerOptions): QueueSampler {
  const { client, namespace, queues, metrics, logger } = options;
  const seenPriorities = new Map<string, Set<string>>();
  let inFlight: Promise<void> | undefined;

  async function sampleQueue(queue: SampledQueue): Promise<void> {
    const labels = { task_queue: queue.name, task_queue_type: queue.type };
    try {
      const res = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: {
          name: queue.name,
          kind: TASK_QUEUE_KIND_NORMAL,
        },
        taskQueueType: TASK_QUEUE_TYPE[queue.type],
        reportStats: true,
      });
      metrics.queuePollers.set(labels, res.pollers?.length ?? 0);
      const byPriority: Record<string, TaskQueueStats> = { ...(res.statsByPriorityKey ?? {}) };
      if (res.stats) byPriority.all = res.stats;
      const key = `${queue.type}:${queue.name}`;
      const previous = seenPriorities.get(key) ?? new Set<string>();
      for (const stale of previous) {
        if (!(stale in byPriority)) {
          metrics.queueBacklog.set({ ...labels, priority: stale }, 0);
          metrics.queueBacklogAge.set({ ...labels, priority: stale }, 0);
        }
      }
      for (const [priority, stats] of Object.entries(byPriority)) {
        metrics.queueBacklog.set(
          { ...labels, priority },
          Number(stats.approximateBacklogCount ?? 0),
        );
        metrics.queueBacklogAge.set(
          { ...labels, priority },
          durationSeconds(stats.approximateBacklogAge),
        );
        previous.add(priority);
      }
      seenPriorities.set(key, previous);
    } catch (err) {
      metrics.queueSampleErrors.inc(labels);
      logger.debug({ err: (err as Error).message, ...labels }, 'task queue sample failed');
    }
  }

  function sampleOnce(): Promise<void> {
    // Never overlap samples: a slow server must not pile up calls.
    inFlight ??= Promise.all(queues.map(sampleQueue)).then(
      () => {
        inFlight = undefined;
      },
      () => {
        inFlight = undefined;
      },
    );
    return inFlight;
  }

  const timer =
    options.intervalMs > 0 ? setInterval(() => void sampleOnce(), options.intervalMs) : undefined;
  // A sampler must never keep a process alive on its own.
  timer?.unref();
  if (timer) void sampleOnce();

  return {
    sampleOnce,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
