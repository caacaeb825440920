/**
 * Coalesces concurrent reads of the same key into one call, and reuses a settled answer for
 * `reuseMs` (0 = only while in flight). A reader therefore sees a value at most `reuseMs` plus
 * one call's latency older than the moment it asked. Failures are never reused.
 */
export interface SingleFlight<V> {
  run(key: string, read: () => Promise<V>): Promise<V>;
}

/** Creates a {@link SingleFlight}; `maxKeys` bounds memory under a flood of distinct keys. */
export function createSingleFlight<V>(reuseMs: number, maxKeys = 10_000): SingleFlight<V> {
  const entries = new Map<string, { promise: Promise<V>; settledAt?: number }>();
  return {
    run(key, read) {
      const entry = entries.get(key);
      if (entry && (entry.settledAt === undefined || Date.now() - entry.settledAt < reuseMs)) {
        return entry.promise;
      }
      if (entries.size >= maxKeys) {
        // Drop what is settled and expired; in-flight entries stay so joiners keep sharing.
        for (const [k, e] of entries) {
          if (e.settledAt !== undefined && Date.now() - e.settledAt >= reuseMs) entries.delete(k);
        }
      }
      const fresh: { promise: Promise<V>; settledAt?: number } = { promise: read() };
      entries.set(key, fresh);
      fresh.promise.then(
        () => {
          if (reuseMs <= 0) {
            if (entries.get(key) === fresh) entries.delete(key);
            return;
          }
          fresh.settledAt = Date.now();
          setTimeout(() => {
            if (entries.get(key) === fresh) entries.delete(key);
          }, reuseMs).unref();
        },
        () => {
          if (entries.get(key) === fresh) entries.delete(key);
        },
      );
      return fresh.promise;
    },
  };
}
