import type { Client } from '@temporalio/client';

/** A task queue's load as Temporal reports it. */
export interface TaskQueueLoad {
  name: string;
  type: 'workflow' | 'activity';
  /** Approximate tasks waiting to be dispatched. */
  backlogCount: number;
  /** Age of the oldest waiting task, in seconds. */
  backlogAgeSeconds: number;
  /** Tasks dispatched per second recently. */
  dispatchRate: number;
  /** Tasks added per second recently. */
  addRate: number;
  /** Distinct workers polling it recently. */
  pollers: number;
  /** Backlog count by priority key. */
  backlogByPriority: Record<string, number>;
}

/** TaskQueueType in Temporal's API; TaskQueueKind NORMAL = 1 (not a sticky queue). */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;
const TASK_QUEUE_KIND_NORMAL = 1;

/** Seconds of a protobuf Duration. */
function seconds(
  duration: { seconds?: unknown; nanos?: number | null } | null | undefined,
): number {
  if (!duration) return 0;
  return Number(duration.seconds ?? 0) + (duration.nanos ?? 0) / 1e9;
}

/** Reads one task queue's backlog, rates and pollers with DescribeTaskQueue (`reportStats`). */
export async function describeTaskQueueLoad(
  client: Client,
  namespace: string,
  name: string,
  type: 'workflow' | 'activity',
  timeoutMs: number,
): Promise<TaskQueueLoad> {
  const res = await client.withDeadline(Date.now() + timeoutMs, () =>
    client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TASK_QUEUE_TYPE[type],
      reportStats: true,
    }),
  );
  const stats = res.stats;
  const backlogByPriority: Record<string, number> = {};
  for (const [key, value] of Object.entries(res.statsByPriorityKey ?? {})) {
    backlogByPriority[key] = Number(value.approximateBacklogCount ?? 0);
  }
  return {
    name,
    type,
    backlogCount: Number(stats?.approximateBacklogCount ?? 0),
    backlogAgeSeconds: seconds(stats?.approximateBacklogAge),
    dispatchRate: stats?.tasksDispatchRate ?? 0,
    addRate: stats?.tasksAddRate ?? 0,
    pollers: res.pollers?.length ?? 0,
    backlogByPriority,
  };
}
