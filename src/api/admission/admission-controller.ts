import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import {
  AGENT_WORKFLOW_TYPE,
  CHAT_WORKFLOW_TYPE,
  SEARCH_ATTRIBUTES,
  type PriorityLevel,
} from '../../shared';
import { HttpError } from '../http-error';
import { describeTaskQueueLoad, type TaskQueueLoad } from './task-queue-stats';
import { createTokenBudget } from '../../usage/token-budget';
import type { UsageReader } from '../../usage/types';

/** What `GET /queues` shows of admission. */
export interface AdmissionSnapshot {
  queues: TaskQueueLoad[];
  /** Workflow + activity backlog that admission compares with the limits. */
  backlog: number;
  limits: { normal: number; medium: number; high: number };
  /** Which priorities are admitted right now. */
  admitting: { normal: boolean; medium: boolean; high: boolean };
  sampledAt: string | null;
  /** Set when the last reading failed (admission then admits: it fails open). */
  error?: string;
}

/** Decides whether a submission may start a job. */
export interface AdmissionController {
  /**
   * Throws 503 (backlog) or 429 (per-user cap or daily token budget), each with Retry-After;
   * resolves to admit.
   */
  admit(userId: string, priority: PriorityLevel): Promise<void>;
  /** Counts an accepted job towards the user's cap until the next fresh count. */
  accepted(userId: string): void;
  snapshot(): Promise<AdmissionSnapshot>;
}

/** Dependencies of {@link createAdmissionController}. */
export interface AdmissionDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
  /** The usage ledger, read by the daily token budget. */
  usage: UsageReader;
  /** Called with the reason whenever a request is refused (for metrics). */
  onRefused?: (reason: 'overloaded' | 'user_cap' | 'token_budget') => void;
}

const PRIORITY_NAME = { 1: 'high', 2: 'medium', 3: 'normal' } as const;
/** Retry-After bounds, in seconds. */
const MIN_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 300;
/** How long a user's active-job count is reused. */
const USER_COUNT_TTL_MS = 2_000;
/**
 * Far below the cap, an older count plus this process's own acceptances (which only ever
 * overestimate: completions are not subtracted) is reused for this long, so users nowhere near
 * their cap cost no visibility query on most requests.
 */
const USER_COUNT_RELAXED_TTL_MS = 30_000;

/**
 * Admission control (backpressure). The backlog of the job task queues is read with
 * DescribeTaskQueue at most once per `ADMISSION_CACHE_MS` (concurrent requests share one
 * reading), never once per request. Each priority has its own backlog limit, high above normal,
 * so urgent work keeps headroom. A user's queued + running jobs are counted with a visibility
 * query, cached briefly and topped up with this process's own acceptances. When Temporal cannot
 * be read, admission fails open (the start itself will then answer 503 if Temporal is down).
 */
export function createAdmissionController(deps: AdmissionDeps): AdmissionController {
  const { client, config, logger } = deps;
  const { scheduling } = config;
  const namespace = client.options.namespace;
  let reading: { at: number; queues: TaskQueueLoad[]; error?: string } | undefined;
  let inFlight: Promise<void> | undefined;
  const userCounts = new Map<string, { at: number; count: number }>();
  const budget =
    scheduling.userDailyTokenBudget > 0
      ? createTokenBudget({
          usage: deps.usage,
          logger,
          dailyTokens: scheduling.userDailyTokenBudget,
          cacheMs: scheduling.admissionCacheMs,
        })
      : undefined;

  async function refresh(): Promise<void> {
    try {
      const queues = await Promise.all([
        describeTaskQueueLoad(
          client,
          namespace,
          config.taskQueues.workflows,
          'workflow',
          config.http.temporalRpcTimeoutMs,
        ),
        describeTaskQueueLoad(
          client,
          namespace,
          config.taskQueues.activities,
          'activity',
          config.http.temporalRpcTimeoutMs,
        ),
      ]);
      reading = { at: Date.now(), queues };
    } catch (err) {
      reading = { at: Date.now(), queues: reading?.queues ?? [], error: (err as Error).message };
      logger.warn({ err: (err as Error).message }, 'admission: could not read task-queue backlog');
    }
  }

  async function current(): Promise<NonNullable<typeof reading>> {
    if (!reading || Date.now() - reading.at >= scheduling.admissionCacheMs) {
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      await inFlight;
    }
    return reading!;
  }

  const totalBacklog = (queues: TaskQueueLoad[]) =>
    queues.reduce((sum, q) => sum + q.backlogCount, 0);

  /** Seconds until the backlog should be back under 90% of the limit at the recent dispatch rate. */
  function retryAfterSeconds(backlog: number, limit: number, queues: TaskQueueLoad[]): number {
    const rate = queues.find((q) => q.type === 'activity')?.dispatchRate ?? 0;
    const excess = backlog - limit * 0.9;
    const estimate = rate > 0 ? Math.ceil(excess / rate) : MAX_RETRY_AFTER_S / 10;
    return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, estimate));
  }

  async function activeJobs(userId: string): Promise<number | undefined> {
    const cached = userCounts.get(userId);
    if (cached) {
      const age = Date.now() - cached.at;
      const farBelowCap = cached.count < scheduling.userMaxActiveJobs / 2;
      if (age < USER_COUNT_TTL_MS || (farBelowCap && age < USER_COUNT_RELAXED_TTL_MS)) {
        return cached.count;
      }
    }
    try {
      // user ids are validated to [A-Za-z0-9._@:+-], so they are safe inside the quoted literal.
      // Jobs of every kind count (conversation turns are agent jobs); a conversation itself,
      // idle between turns, does not.
      const query = `${SEARCH_ATTRIBUTES.userId.name} = '${userId}' AND ExecutionStatus = 'Running' AND WorkflowType IN ('${CHAT_WORKFLOW_TYPE}', '${AGENT_WORKFLOW_TYPE}')`;
      const { count } = await client.withDeadline(
        Date.now() + config.http.temporalRpcTimeoutMs,
        () => client.workflow.count(query),
      );
      userCounts.set(userId, { at: Date.now(), count });
      if (userCounts.size > 100_000) userCounts.clear();
      return count;
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, user_id: userId },
        'admission: could not count active jobs',
      );
      return undefined;
    }
  }

  return {
    async admit(userId, priority) {
      const limit = scheduling.maxBacklog[PRIORITY_NAME[priority]];
      if (limit > 0) {
        const { queues } = await current();
        const backlog = totalBacklog(queues);
        if (backlog >= limit) {
          deps.onRefused?.('overloaded');
          throw new HttpError(
            503,
            'overloaded',
            `The fleet is at capacity for ${PRIORITY_NAME[priority]} priority work (backlog ${backlog}); retry later`,
            undefined,
            { 'Retry-After': String(retryAfterSeconds(backlog, limit, queues)) },
          );
        }
      }
      if (scheduling.userMaxActiveJobs > 0) {
        const count = await activeJobs(userId);
        if (count !== undefined && count >= scheduling.userMaxActiveJobs) {
          deps.onRefused?.('user_cap');
          throw new HttpError(
            429,
            'too_many_active_jobs',
            `user ${userId} already has ${count} queued or running jobs (limit ${scheduling.userMaxActiveJobs})`,
            undefined,
            { 'Retry-After': '5' },
          );
        }
      }
      if (budget) {
        try {
          await budget.check(userId);
        } catch (err) {
          deps.onRefused?.('token_budget');
          throw err;
        }
      }
    },
    accepted(userId) {
      const cached = userCounts.get(userId);
      if (cached) cached.count += 1;
    },
    async snapshot() {
      const { queues, at, error } = await current();
      const backlog = totalBacklog(queues);
      const admits = (limit: number) => limit === 0 || backlog < limit;
      return {
        queues,
        backlog,
        limits: scheduling.maxBacklog,
        admitting: {
          normal: admits(scheduling.maxBacklog.normal),
          medium: admits(scheduling.maxBacklog.medium),
          high: admits(scheduling.maxBacklog.high),
        },
        sampledAt: new Date(at).toISOString(),
        ...(error ? { error } : {}),
      };
    },
  };
}
