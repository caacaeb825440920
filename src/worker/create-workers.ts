import type Anthropic from '@anthropic-ai/sdk';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { workflowSource } from './workflow-source';

/** What every worker needs. */
export interface WorkerBaseOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** How long in-flight tasks may run on after shutdown starts before they are cancelled. */
  shutdownGraceMs: number;
  identity?: string;
}

/** Options of a workflow worker (deterministic orchestration only; no I/O). */
export interface WorkflowWorkerOptions extends WorkerBaseOptions {
  workflowBundlePath?: string;
  maxConcurrentWorkflowTasks: number;
}

/** Options of an activity worker (the processes that call Claude). */
export interface ActivityWorkerOptions extends WorkerBaseOptions {
  anthropic: Anthropic;
  logger: Logger;
  maxConcurrentClaudeCalls: number;
}

/** Creates a worker that runs workflow tasks only. */
export function createWorkflowWorker(options: WorkflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    ...workflowSource(options.workflowBundlePath),
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks,
    shutdownGraceTime: options.shutdownGraceMs,
  });
}

/**
 * Creates a worker that runs the Claude-calling activities only, on its own task queue, so this
 * fleet scales independently of the workflow workers.
 */
export function createActivityWorker(options: ActivityWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: createActivities({ anthropic: options.anthropic, logger: options.logger }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentClaudeCalls,
    shutdownGraceTime: options.shutdownGraceMs,
  });
}
