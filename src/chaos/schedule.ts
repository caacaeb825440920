/** The chaos plan: which fault happens when, computed up front so a run is reproducible. */
import type { ChaosOptions } from './options';

/** One planned fault. */
export type ChaosAction =
  | { atMs: number; kind: 'kill-worker'; worker: number; restartAfterMs: number }
  | { atMs: number; kind: 'stop-worker'; worker: number; resumeAfterMs: number }
  | { atMs: number; kind: 'kill-temporal'; downForMs: number };

/**
 * Kills (and stops) rotate over the activity workers, so with two or more workers one is always
 * up; a kill and a stop never target the same worker at the same moment.
 */
export function buildSchedule(options: ChaosOptions): ChaosAction[] {
  const actions: ChaosAction[] = [];
  const durationMs = options.durationS * 1_000;
  const n = options.activityWorkers;
  if (options.killEveryMs > 0) {
    let k = 0;
    for (let at = options.firstAtMs; at < durationMs; at += options.killEveryMs, k += 1)
      actions.push({
        atMs: at,
        kind: 'kill-worker',
        worker: k % n,
        restartAfterMs: options.restartAfterMs,
      });
  }
  if (options.stopEveryMs > 0) {
    let k = 0;
    // Offset by half a kill period so stops and kills interleave.
    const first = options.firstAtMs + (options.killEveryMs > 0 ? options.killEveryMs / 2 : 0);
    for (let at = first; at < durationMs; at += options.stopEveryMs, k += 1)
      actions.push({
        atMs: at,
        kind: 'stop-worker',
        worker: (k + 1) % n,
        resumeAfterMs: options.stopForMs,
      });
  }
  if (options.killTemporalAtMs !== undefined && options.killTemporalAtMs < durationMs)
    actions.push({
      atMs: options.killTemporalAtMs,
      kind: 'kill-temporal',
      downForMs: options.temporalDownForMs,
    });
  return actions.sort((a, b) => a.atMs - b.atMs);
}
