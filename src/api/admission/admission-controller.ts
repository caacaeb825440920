import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import {
  AGENT_WORKFLOW_TYPE,
  CHAT_WORKFLOW_TYPE,
  SEARCH_ATTRIBUTES,
  type PriorityLevel,
} from '../../shared';
import { HttpError } from '../http-error';
import { settleWithin, type Deadline } from '../request-deadline';
import type { StartLimiter, StartLimiterState, StartOutcome } from './start-limiter';
import { describeTaskQueueLoad, type TaskQueueLoad } from './task-queue-stats';
import { createCostBudget } from '../../usage/cost-budget';
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
  /** The adaptive limit on in-flight workflow starts. */
  startLimit: StartLimiterState;
}

/** Why a submission was refused (a metric label). */
export type RefusalReason =
  'overloaded' | 'start_limit' | 'user_cap' | 'token_budget' | 'cost_budget';

/** Decides whether a submission may start a job. */
export interface AdmissionController {
  /**
   * Throws 503 (backlog, start limit) or 429 (per-user cap or daily token budget), each with
   * Retry-After; resolves to admit. Only the token budget may wait for Temporal, within
   * `deadline`; the backlog and the user's count are served from memory and refreshed behind.
   */
  admit(userId: string, priority: PriorityLevel, deadline: Deadline): Promise<void>;
  /** Counts an accepted job towards the user's cap until the next fresh count. */
  accepted(userId: string): void;
  /**
   * Runs one workflow start under the adaptive start limit: refused at once (503 `overloaded`)
   * when in-flight starts have reached it, never queued.
   */
  start<T>(call: () => Promise<T>, options?: { sample?: boolean }): Promise<T>;
  /** Admission state; waits (within `deadline`) for a backlog reading older than the cache. */
  snapshot(deadline: Deadline): Promise<AdmissionSnapshot>;
}

/** Dependencies of {@link createAdmissionController}. */
export interface AdmissionDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
  /** The usage ledger, read by the daily token budget. */
  usage: UsageReader;
  /** Called with the reason whenever a request is refused (for metrics). */
  onRefused?: (reason: RefusalReason) => void;
  /** The start limiter (one per process; metrics read it too). */
  limiter: StartLimiter;
}

const PRIORITY_NAME = { 1: 'high', 2: 'medium', 3: 'normal' } as const;
/** Retry-After bounds, in seconds. */
const MIN_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 300;
/** Retry-After of a start-limit refusal: starts take milliseconds, slots free up at once. */
const START_LIMIT_RETRY_AFTER_S = 1;
/** How long a user's active-job count is trusted before a background refresh. */
const USER_COUNT_TTL_MS = 2_000;
/**
 * Far below the cap, an older count plus this process's own acceptances (which only ever
 * overestimate: completions are not subtracted) is trusted for this long, so users nowhere near
 * their cap cost no visibility query on most requests.
 */
const USER_COUNT_RELAXED_TTL_MS = 30_000;
/** Users whose counts are kept (a flood of distinct ids must not grow the map without limit). */
const MAX_TRACKED_USERS = 100_000;

/** A user's cached count, and what this process accepted since it was asked for. */
interface UserCount {
  /** undefined until the first count arrives. */
  count?: number;
  at: number;
  /** Accepted by this process while a count was in flight (added to it when it lands). */
  acceptedDuringLoad: number;
  loading?: Promise<void>;
}

/**
 * Admission control (backpressure), off the hot path: nothing a submission reads here waits for
 * Temporal except the token budget.
 *
 * - **Backlog** of the job task queues: read with DescribeTaskQueue at most once per
 *   `ADMISSION_CACHE_MS` in the background (stale-while-revalidate; concurrent requests share
 *   one reading). Until the first reading lands, work is admitted. Each priority has its own
 *   limit, high above normal, so urgent work keeps headroom.
 * - **Per-user cap**: a visibility count of the user's running jobs, served from memory and
 *   refreshed in the background when older than 2 s (30 s far below the cap), topped up with this
 *   process's own acceptances — including those made while a count is loading. The first request
 *   of an unknown user is admitted while its count loads. Overshoot bound: per API replica, the
 *   user's submissions admitted but not yet started at one moment (their starts are in flight),
 *   plus what other replicas accepted within the count's age (≤ 2 s, or 30 s while the user is
 *   below half the cap, which keeps the overshoot below the other half).
 * - **Start limit**: an adaptive concurrency limit on in-flight workflow starts
 *   (start-limiter.ts), which reacts to the server's own start latency within milliseconds where
 *   backlog counts lag by a cache period.
 *
 * When Temporal cannot be read, backlog and count fail open (the start itself answers 503).
 */
export function createAdmissionController(deps: AdmissionDeps): AdmissionController {
  const { client, config, logger, limiter } = deps;
  const { scheduling } = config;
  const namespace = client.options.namespace;
  let reading: { at: number; queues: TaskQueueLoad[]; error?: string } | undefined;
  let inFlight: Promise<void> | undefined;
  const userCounts = new Map<string, UserCount>();
  const budget =
    scheduling.userDailyTokenBudget > 0
      ? createTokenBudget({
          usage: deps.usage,
          logger,
          dailyTokens: scheduling.userDailyTokenBudget,
          cacheMs: scheduling.admissionCacheMs,
        })
      : undefined;
  const costBudget =
    scheduling.userDailyCostBudgetUsd > 0
      ? createCostBudget({
          usage: deps.usage,
          logger,
          dailyUsd: scheduling.userDailyCostBudgetUsd,
          prices: config.observability.prices,
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

  /** Starts a background reading when the last one is older than the cache; one at a time. */
  function revalidate(): Promise<void> {
    if (!reading || Date.now() - reading.at >= scheduling.admissionCacheMs) {
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
    }
    return inFlight ?? Promise.resolve();
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

  async function loadCount(userId: string, entry: UserCount): Promise<void> {
    // user ids are validated to [A-Za-z0-9._@:+-], so they are safe inside the quoted literal.
    // Jobs of every kind count (conversation turns are agent jobs); a conversation itself,
    // idle between turns, does not.
    const query = `${SEARCH_ATTRIBUTES.userId.name} = '${userId}' AND ExecutionStatus = 'Running' AND WorkflowType IN ('${CHAT_WORKFLOW_TYPE}', '${AGENT_WORKFLOW_TYPE}')`;
    entry.acceptedDuringLoad = 0;
    try {
      const { count } = await client.withDeadline(
        Date.now() + config.http.temporalRpcTimeoutMs,
        () => client.workflow.count(query),
      );
      // Jobs accepted while the count was in flight may or may not be in it: add them (an
      // overestimate, which errs on the side of the cap).
      entry.count = count + entry.acceptedDuringLoad;
      entry.at = Date.now();
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, user_id: userId },
        'admission: could not count active jobs',
      );
    }
  }

  /** The user's count as known now (undefined: not yet), refreshed behind when old. */
  function activeJobs(userId: string): number | undefined {
    let entry = userCounts.get(userId);
    if (!entry) {
      if (userCounts.size >= MAX_TRACKED_USERS) userCounts.clear();
      entry = { at: 0, acceptedDuringLoad: 0 };
      userCounts.set(userId, entry);
    }
    const age = Date.now() - entry.at;
    const farBelowCap = entry.count !== undefined && entry.count < scheduling.userMaxActiveJobs / 2;
    const fresh = age < USER_COUNT_TTL_MS || (farBelowCap && age < USER_COUNT_RELAXED_TTL_MS);
    if (!fresh && !entry.loading) {
      const loading = entry;
      entry.loading = loadCount(userId, loading).finally(() => {
        loading.loading = undefined;
      });
    }
    return entry.count;
  }

  function refuseStart(): HttpError {
    limiter.recordRefusal();
    deps.onRefused?.('start_limit');
    const { limit } = limiter.state();
    return new HttpError(
      503,
      'overloaded',
      `The workflow service is starting as many jobs as it can (${limit} at once); retry shortly`,
      undefined,
      { 'Retry-After': String(START_LIMIT_RETRY_AFTER_S) },
    );
  }

  return {
    async admit(userId, priority, deadline) {
      // Cheapest first: a full start limit refuses before any other work.
      if (limiter.lineFull()) throw refuseStart();
      const limit = scheduling.maxBacklog[PRIORITY_NAME[priority]];
      if (limit > 0) {
        void revalidate();
        const queues = reading?.queues ?? [];
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
        const count = activeJobs(userId);
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
          // The budget reads the usage ledger (one describe, cached and shared per user): bounded
          // by what is left of the request's deadline, like every Temporal call of a request.
          await settleWithin(deadline, budget.check(userId));
        } catch (err) {
          if (err instanceof HttpError && err.status === 429) deps.onRefused?.('token_budget');
          throw err;
        }
      }
      if (costBudget) {
        try {
          await settleWithin(deadline, costBudget.check(userId));
        } catch (err) {
          if (err instanceof HttpError && err.status === 429) deps.onRefused?.('cost_budget');
          throw err;
        }
      }
    },
    accepted(userId) {
      const entry = userCounts.get(userId);
      if (!entry) return;
      if (entry.count !== undefined) entry.count += 1;
      if (entry.loading) entry.acceptedDuringLoad += 1;
    },
    async start(call, options = {}) {
      const permit = await limiter.acquire(scheduling.startLimit.maxWaitMs);
      if (!permit) throw refuseStart();
      try {
        const result = await call();
        permit.release(options.sample === false ? 'ignored' : 'success');
        return result;
      } catch (err) {
        permit.release(startOutcome(err, options.sample !== false));
        throw err;
      }
    },
    async snapshot(deadline) {
      await settleWithin(deadline, revalidate());
      const { queues, at, error } = reading!;
      // Temporal could not be read: say so like every other endpoint (503), not with old numbers.
      if (error) {
        throw HttpError.unavailable('The workflow service is temporarily unavailable', 2);
      }
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
        startLimit: limiter.state(),
      };
    },
  };
}

/**
 * What a failed start tells the limiter: a timeout or an unreachable server is a loss; "already
 * started" is the server answering (a sample); anything else says nothing about its latency.
 */
function startOutcome(err: unknown, sample: boolean): StartOutcome {
  if (err instanceof WorkflowExecutionAlreadyStartedError) return sample ? 'success' : 'ignored';
  if (err instanceof HttpError && err.status === 503) return 'dropped';
  return 'ignored';
}
