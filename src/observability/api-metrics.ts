import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX, secondsBetween } from './registry';

/** Latency buckets for HTTP handling: accepting a job is one Temporal round trip. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Job lifetimes: seconds to the job deadline (15 minutes by default). */
const JOB_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1800];
/** Waiting in the queue: sub-second when workers keep up, minutes when they do not. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

/** A finished job, as the API sees it the first time it reads it. */
export interface FinishedJobSample {
  status: string;
  priority: number;
  failureType?: string;
  attempts: number;
  submittedAt: string;
  startedAt?: string;
  completedAt?: string;
}

/** The API process's metrics. Create once per registry with {@link createApiMetrics}. */
export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  jobsSubmitted: Counter<'priority'>;
  admissionRefusals: Counter<'reason'>;
  jobsFinished: Counter<'status' | 'priority' | 'failure_type'>;
  jobDuration: Histogram<'status' | 'priority'>;
  jobQueueWait: Histogram<'priority'>;
  queueBacklog: Gauge<'task_queue' | 'task_queue_type' | 'priority'>;
  queueBacklogAge: Gauge<'task_queue' | 'task_queue_type' | 'priority'>;
  queuePollers: Gauge<'task_queue' | 'task_queue_type'>;
  queueSampleErrors: Counter<'task_queue' | 'task_queue_type'>;
  /** The adaptive start limit, in-flight starts and the minimum start RTT (read at scrape). */
  startLimit: Gauge;
  startsInFlight: Gauge;
  startMinRtt: Gauge;
  /** Where the start-limit gauges read from (the API's limiter); unset, they stay at 0. */
  observeStartLimiter(read: () => { limit: number; inFlight: number; minRttMs?: number }): void;
  /** Records a job's outcome, end-to-end latency and (first-attempt jobs) queue wait. */
  recordFinishedJob(job: FinishedJobSample): void;
}

/**
 * Defines the API's metrics on `registry`. Job outcomes are recorded by the API when it first
 * reads a finished job (see job-service.ts for the caveats of that choice).
 */
export function createApiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  let readStartLimiter: (() => { limit: number; inFlight: number; minRttMs?: number }) | undefined;
  const metrics: Omit<ApiMetrics, 'recordFinishedJob' | 'observeStartLimiter'> = {
    registry,
    httpRequests: new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered by the API, by route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request; POST /chat is the job accept latency.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    jobsSubmitted: new Counter({
      name: `${METRIC_PREFIX}jobs_submitted_total`,
      help: 'Chat jobs accepted (workflow started), by priority (1 = high, 3 = normal).',
      labelNames: ['priority'],
      registers,
    }),
    admissionRefusals: new Counter({
      name: `${METRIC_PREFIX}job_admission_refusals_total`,
      help:
        'POST /chat requests refused without starting a job, by reason (start_limit = the ' +
        'adaptive limit on in-flight starts).',
      labelNames: ['reason'],
      registers,
    }),
    jobsFinished: new Counter({
      name: `${METRIC_PREFIX}jobs_finished_total`,
      help:
        'Jobs seen finished by this API process (first read of a finished job), by status, ' +
        'priority and failure type ("none" when completed).',
      labelNames: ['status', 'priority', 'failure_type'],
      registers,
    }),
    jobDuration: new Histogram({
      name: `${METRIC_PREFIX}job_duration_seconds`,
      help: 'End-to-end job latency, submission to completion, of jobs seen finished.',
      labelNames: ['status', 'priority'],
      buckets: JOB_BUCKETS,
      registers,
    }),
    jobQueueWait: new Histogram({
      name: `${METRIC_PREFIX}job_queue_wait_seconds`,
      help:
        'Submission to the start of the model call, for jobs completed on their first attempt ' +
        '(retried jobs would count their backoff as waiting).',
      labelNames: ['priority'],
      buckets: WAIT_BUCKETS,
      registers,
    }),
    queueBacklog: new Gauge({
      name: `${METRIC_PREFIX}task_queue_backlog_tasks`,
      help:
        'Approximate tasks waiting in a task queue (DescribeTaskQueue, sampled in the ' +
        'background), by priority key ("all" = whole queue).',
      labelNames: ['task_queue', 'task_queue_type', 'priority'],
      registers,
    }),
    queueBacklogAge: new Gauge({
      name: `${METRIC_PREFIX}task_queue_backlog_age_seconds`,
      help: 'Approximate age of the oldest waiting task in a task queue, by priority key.',
      labelNames: ['task_queue', 'task_queue_type', 'priority'],
      registers,
    }),
    queuePollers: new Gauge({
      name: `${METRIC_PREFIX}task_queue_pollers`,
      help: 'Workers that polled the task queue recently, as the server reports them.',
      labelNames: ['task_queue', 'task_queue_type'],
      registers,
    }),
    queueSampleErrors: new Counter({
      name: `${METRIC_PREFIX}task_queue_sample_errors_total`,
      help: 'Failed DescribeTaskQueue samples (the gauges keep their last value meanwhile).',
      labelNames: ['task_queue', 'task_queue_type'],
      registers,
    }),
    startLimit: new Gauge({
      name: `${METRIC_PREFIX}start_limit`,
      help: 'Adaptive limit on in-flight workflow starts; a submission past it gets 503.',
      registers,
      collect() {
        if (readStartLimiter) this.set(readStartLimiter().limit);
      },
    }),
    startsInFlight: new Gauge({
      name: `${METRIC_PREFIX}starts_in_flight`,
      help: 'Workflow starts (and conversation deliveries) this API is waiting for right now.',
      registers,
      collect() {
        if (readStartLimiter) this.set(readStartLimiter().inFlight);
      },
    }),
    startMinRtt: new Gauge({
      name: `${METRIC_PREFIX}start_min_rtt_seconds`,
      help: 'Windowed minimum workflow-start latency: the start limit’s no-queueing baseline.',
      registers,
      collect() {
        const minRttMs = readStartLimiter?.().minRttMs;
        if (minRttMs !== undefined) this.set(minRttMs / 1000);
      },
    }),
  };

  function recordFinishedJob(job: FinishedJobSample): void {
    const priority = String(job.priority);
    metrics.jobsFinished.inc({
      status: job.status,
      priority,
      failure_type: job.status === 'completed' ? 'none' : (job.failureType ?? 'unknown'),
    });
    const submitted = Date.parse(job.submittedAt);
    const completed = job.completedAt ? Date.parse(job.completedAt) : NaN;
    if (Number.isFinite(submitted) && Number.isFinite(completed)) {
      metrics.jobDuration.observe(
        { status: job.status, priority },
        secondsBetween(submitted, completed),
      );
    }
    const started = job.startedAt ? Date.parse(job.startedAt) : NaN;
    if (job.status === 'completed' && job.attempts === 1 && Number.isFinite(started)) {
      metrics.jobQueueWait.observe({ priority }, secondsBetween(submitted, started));
    }
  }

  return {
    ...metrics,
    recordFinishedJob,
    observeStartLimiter(read) {
      readStartLimiter = read;
    },
  };
}
