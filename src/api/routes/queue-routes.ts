import { Router } from 'express';
import type { AppConfig } from '../../config';
import type { AdmissionController } from '../admission/admission-controller';
import type { ApprovalService } from '../approval-service';
import { deadlineIn } from '../request-deadline';

/** Dependencies of the queue routes. */
export interface QueueRoutesDeps {
  admission: AdmissionController;
  config: AppConfig;
  /** Counts jobs waiting for a human decision (a cached visibility count); absent = not shown. */
  approvals?: Pick<ApprovalService, 'awaitingCount'>;
}

/**
 * `GET /queues`: per task queue backlog count and age, dispatch rate and pollers (workers seen),
 * the configured limits, whether each priority is being admitted, and the adaptive start limit
 * (limit, in-flight starts, minimum start RTT, refusals). Served from the same cached reading
 * admission uses, so polling it costs Temporal nothing extra. When Temporal could not be read it
 * answers 503 with Retry-After, like every endpoint, rather than old numbers.
 */
export function queueRoutes({ admission, config, approvals }: QueueRoutesDeps): Router {
  const router = Router();
  router.get('/queues', async (_req, res) => {
    const deadline = deadlineIn(config.http.temporalRpcTimeoutMs);
    const [snapshot, awaitingApproval] = await Promise.all([
      admission.snapshot(deadline),
      approvals?.awaitingCount(deadline),
    ]);
    res.json({
      sampled_at: snapshot.sampledAt,
      task_queues: snapshot.queues.map((queue) => ({
        name: queue.name,
        type: queue.type,
        backlog_count: queue.backlogCount,
        backlog_age_seconds: queue.backlogAgeSeconds,
        backlog_by_priority: queue.backlogByPriority,
        dispatch_rate: queue.dispatchRate,
        add_rate: queue.addRate,
        pollers: queue.pollers,
      })),
      admission: {
        backlog: snapshot.backlog,
        limits: snapshot.limits,
        admitting: snapshot.admitting,
        user_max_active_jobs: config.scheduling.userMaxActiveJobs,
        start_limit: {
          limit: snapshot.startLimit.limit,
          in_flight: snapshot.startLimit.inFlight,
          min_rtt_ms: snapshot.startLimit.minRttMs ?? null,
          refusals: snapshot.startLimit.refusals,
        },
      },
      limits: {
        claude_max_rps: config.scheduling.claudeMaxRps,
        claude_cooldown_rps: config.scheduling.claudeCooldownRps,
        max_concurrent_claude_calls_per_worker: config.worker.maxConcurrentClaudeCalls,
      },
      // Jobs waiting for a human decision on a tool call (null until first counted).
      ...(approvals ? { awaiting_approval: awaitingApproval ?? null } : {}),
    });
  });
  return router;
}
