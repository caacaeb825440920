import type { Logger } from 'pino';
import type { UsageCallRecord, UsageSink, UsageStore } from './types';

/** Options of {@link createGroupCommitWriter}. */
export interface GroupCommitWriterOptions {
  store: UsageStore;
  logger: Logger;
  /** Records per write at most (default 1,000); more wait for the next flush. */
  maxBatch?: number;
  /** Writes of one batch before its records fail (default 6: about 3 s of backoff). */
  attempts?: number;
  /** First backoff between attempts, doubled each time (default 100 ms). */
  initialDelayMs?: number;
  /** Called after each batch: its size, how long it took, whether it was committed. */
  onFlush?: (records: number, durationMs: number, committed: boolean) => void;
}

/** The usage sink of an activity-worker process. */
export interface UsageWriter extends UsageSink {
  /** Commits what is queued, then closes the store. */
  close(): Promise<void>;
}

interface Pending {
  record: UsageCallRecord;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Group commit: records queue in memory; whenever no write is in flight, everything queued goes
 * out in one write. Under light load a record waits one round trip; under heavy load batches grow
 * by themselves (all that arrived during the previous write), so the store sees a few writes per
 * second per worker however many calls finish. Each `record` resolves when its batch committed,
 * or rejects when the batch kept failing — the caller (the model-call activity) then fails and
 * Temporal retries it, which records the same key again.
 */
export function createGroupCommitWriter(options: GroupCommitWriterOptions): UsageWriter {
  const maxBatch = options.maxBatch ?? 1_000;
  const attempts = options.attempts ?? 6;
  const initialDelayMs = options.initialDelayMs ?? 100;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;

  async function writeWithRetries(records: UsageCallRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.store.write(records);
        return;
      } catch (err) {
        if (attempt >= attempts) throw err;
        options.logger.warn(
          { err: (err as Error).message, records: records.length, attempt },
          'usage write failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, initialDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      const started = Date.now();
      try {
        await writeWithRetries(batch.map((p) => p.record));
        options.onFlush?.(batch.length, Date.now() - started, true);
        for (const p of batch) p.resolve();
      } catch (err) {
        options.onFlush?.(batch.length, Date.now() - started, false);
        options.logger.error(
          { err: (err as Error).message, records: batch.length },
          'usage not recorded; the model calls will be retried',
        );
        const error = err instanceof Error ? err : new Error(String(err));
        for (const p of batch) p.reject(error);
      }
    }
  }

  function flushSoon(): void {
    flushing ??= drain().finally(() => {
      flushing = undefined;
      // A record queued between the loop's end and this callback would otherwise wait.
      if (queue.length > 0) flushSoon();
    });
  }

  return {
    record(record) {
      if (closed) return Promise.reject(new Error('the usage writer is closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ record, resolve, reject });
        flushSoon();
      });
    },
    async close() {
      closed = true;
      while (flushing) await flushing;
      await options.store.close();
    },
  };
}
