import { Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric this service defines starts with this, so dashboards can find ours at a glance. */
export const METRIC_PREFIX = 'agent_fleet_';

/**
 * A fresh registry with Node process metrics (CPU, memory, event-loop lag, GC) under our prefix.
 * One registry per process role: never prom-client's global one, so tests can run several
 * components in one process without "metric already registered" clashes.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  }
  return registry;
}

/** Seconds between two instants given in milliseconds, never negative (clocks can disagree). */
export function secondsBetween(startMs: number, endMs: number): number {
  return Math.max(0, (endMs - startMs) / 1000);
}
