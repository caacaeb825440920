import pino from 'pino';
import { createGroupCommitWriter } from './group-commit-writer';
import type { UsageCallRecord, UsageStore } from './types';

const logger = pino({ level: 'silent' });

function record(jobId: string, call = 0): UsageCallRecord {
  return {
    jobId,
    call,
    userId: 'u',
    model: 'm',
    usage: { input_tokens: 1, output_tokens: 1 },
    at: '2026-12-03T00:00:00.000Z',
  };
}

/** A store whose writes finish when the test says so. */
function gatedStore() {
  const batches: string[][] = [];
  const gates: { release: () => void; fail: (err: Error) => void }[] = [];
  let closed = false;
  const store: UsageStore = {
    kind: 'postgres',
    write(records) {
      batches.push(records.map((r) => `${r.jobId}:${r.call}`));
      return new Promise<void>((resolve, reject) => gates.push({ release: resolve, fail: reject }));
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
  return { store, batches, gates, closed: () => closed };
}

/** Lets queued promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('group-commit writer', () => {
  it('writes at once when idle, and everything that queued meanwhile in one next write', async () => {
    const { store, batches, gates } = gatedStore();
    const writer = createGroupCommitWriter({ store, logger });
    const first = writer.record(record('a'));
    await settle();
    expect(batches).toEqual([['a:0']]);
    const rest = [
      writer.record(record('b')),
      writer.record(record('c')),
      writer.record(record('c', 1)),
    ];
    await settle();
    // One write in flight at a time: b, c, c:1 wait for it.
    expect(batches).toHaveLength(1);
    gates[0]!.release();
    await first;
    await settle();
    expect(batches).toEqual([['a:0'], ['b:0', 'c:0', 'c:1']]);
    gates[1]!.release();
    await Promise.all(rest);
  });

  it('resolves a record only once its batch committed, and rejects a batch that keeps failing', async () => {
    const { store, batches, gates } = gatedStore();
    const writer = createGroupCommitWriter({ store, logger, attempts: 2, initialDelayMs: 1 });
    let done = false;
    const failing = writer.record(record('x')).then(
      () => 'committed',
      (err: Error) => err.message,
    );
    void failing.then(() => (done = true));
    await settle();
    gates[0]!.fail(new Error('connection refused'));
    await settle();
    expect(done).toBe(false);
    // The retry writes the same batch again, then fails for good.
    while (gates.length < 2) await settle();
    expect(batches).toEqual([['x:0'], ['x:0']]);
    gates[1]!.fail(new Error('connection refused'));
    expect(await failing).toBe('connection refused');
    // The writer goes on with the next records.
    const next = writer.record(record('y'));
    while (gates.length < 3) await settle();
    gates[2]!.release();
    await next;
    expect(batches[2]).toEqual(['y:0']);
  });

  it('commits what is queued before closing the store, and refuses records after', async () => {
    const { store, gates, closed } = gatedStore();
    const writer = createGroupCommitWriter({ store, logger });
    const pending = writer.record(record('z'));
    const closing = writer.close();
    await settle();
    expect(closed()).toBe(false);
    gates[0]!.release();
    await closing;
    await pending;
    expect(closed()).toBe(true);
    await expect(writer.record(record('late'))).rejects.toThrow(/closed/);
  });
});
