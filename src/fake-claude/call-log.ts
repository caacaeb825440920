/**
 * Bounded call log. A benchmark can send millions of requests to one fake, so the log is a ring
 * buffer: memory stays flat and the newest calls are always kept.
 */
import { type FakeCall } from './types';

/** Ring buffer of {@link FakeCall} records, oldest first when read. */
export class CallLog {
  readonly #capacity: number;
  #entries: FakeCall[] = [];
  /** Index of the oldest entry once the buffer is full. */
  #head = 0;

  /** @param capacity - maximum number of calls kept (at least 1). */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /**
   * Append a call. The record is kept by reference so the server can still mark it completed or
   * aborted after the response ends.
   */
  add(call: FakeCall): void {
    if (this.#entries.length < this.#capacity) {
      this.#entries.push(call);
      return;
    }
    this.#entries[this.#head] = call;
    this.#head = (this.#head + 1) % this.#capacity;
  }

  /** Copies of the calls accepted by `predicate` (all calls if omitted), oldest first. */
  list(predicate?: (call: FakeCall) => boolean): FakeCall[] {
    const out: FakeCall[] = [];
    const n = this.#entries.length;
    for (let i = 0; i < n; i++) {
      const call = this.#entries[(this.#head + i) % n];
      if (call && (!predicate || predicate(call))) out.push({ ...call });
    }
    return out;
  }

  /** Forget every call. */
  clear(): void {
    this.#entries = [];
    this.#head = 0;
  }
}
