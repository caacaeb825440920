import { createStartLimiter, limitAfterDrop, nextLimit } from './start-limiter';

const bounds = { min: 2, max: 100, rttTolerance: 2 };
const settings = { ...bounds, initial: 10, minRttWindowMs: 1_000 };

/** A clock the test moves by hand. */
function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('nextLimit (gradient arithmetic)', () => {
  it('grows by a fifth of √limit while latency is within the tolerance of the minimum', () => {
    // gradient 1: target = 16 + 4 = 20; a fifth of the way: 16.8
    expect(nextLimit(16, 10, 5, bounds)).toBeCloseTo(16.8, 10);
    expect(nextLimit(16, 5, 5, bounds)).toBeCloseTo(16.8, 10);
  });

  it('shrinks in proportion when latency rises past the tolerance', () => {
    // gradient = 2 × 5 / 40 = 0.25 → floored at 0.5: target = 8 + 4 = 12 → 16 − 0.8 = 15.2
    expect(nextLimit(16, 40, 5, bounds)).toBeCloseTo(15.2, 10);
    // gradient = 2 × 5 / 16 = 0.625: target = 10 + 4 = 14 → 15.6
    expect(nextLimit(16, 16, 5, bounds)).toBeCloseTo(15.6, 10);
  });

  it('treats starts under the latency target as no queueing, however far above the minimum', () => {
    // 40 ms against a 5 ms minimum is 8× the minimum, but under a 50 ms target: gradient 1 → 16.8
    expect(nextLimit(16, 40, 5, { ...bounds, latencyTargetMs: 50 })).toBeCloseTo(16.8, 10);
    // Past the target it shrinks as before: gradient = 50 / 100 = 0.5 → target 12 → 15.2
    expect(nextLimit(16, 100, 5, { ...bounds, latencyTargetMs: 50 })).toBeCloseTo(15.2, 10);
  });

  it('cannot push the limit below 4 by latency alone (4 = 4 × 0.5 + √4)', () => {
    expect(nextLimit(4, 1_000, 1, bounds)).toBeCloseTo(4, 10);
  });

  it('holds still at the equilibrium gradient 1 − 1/√limit', () => {
    // limit 25: gradient 0.8 ↔ rtt = 2 × 5 / 0.8 = 12.5 ms
    expect(nextLimit(25, 12.5, 5, bounds)).toBeCloseTo(25, 10);
  });

  it('stays within [min, max]', () => {
    expect(nextLimit(5, 1_000, 1, { ...bounds, min: 5 })).toBe(5);
    expect(nextLimit(100, 1, 1, bounds)).toBe(100);
  });

  it('cuts the limit by a fifth on a loss, never below the minimum', () => {
    expect(limitAfterDrop(50, bounds)).toBe(40);
    expect(limitAfterDrop(2.2, bounds)).toBe(2);
  });
});

describe('createStartLimiter', () => {
  it('refuses at once when in-flight starts reach the limit, and counts refusals', () => {
    const limiter = createStartLimiter({ ...settings, initial: 3 });
    const permits = [limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()];
    expect(permits.every(Boolean)).toBe(true);
    expect(limiter.full()).toBe(true);
    expect(limiter.tryAcquire()).toBeUndefined();
    limiter.recordRefusal();
    expect(limiter.state()).toMatchObject({ limit: 3, inFlight: 3, refusals: 1 });
    permits[0]!.release('ignored');
    expect(limiter.full()).toBe(false);
    expect(limiter.state().inFlight).toBe(2);
  });

  it('lets a request wait briefly for a freed slot, oldest first, and refuses past the wait', async () => {
    const limiter = createStartLimiter({ ...settings, initial: 2 });
    const held = [limiter.tryAcquire()!, limiter.tryAcquire()!];
    const first = limiter.acquire(1_000);
    const second = limiter.acquire(1_000);
    // Two wait (a line as long as the limit): a third is refused at once.
    expect(limiter.lineFull()).toBe(true);
    await expect(limiter.acquire(1_000)).resolves.toBeUndefined();
    held[0]!.release('ignored');
    const granted = await first;
    expect(granted).toBeDefined();
    expect(limiter.state().inFlight).toBe(2);
    held[1]!.release('ignored');
    expect(await second).toBeDefined();
    // Nothing frees up within the wait: refused.
    await expect(limiter.acquire(5)).resolves.toBeUndefined();
    expect(limiter.lineFull()).toBe(false);
  });

  it('releases a permit once, however often release is called', () => {
    const limiter = createStartLimiter(settings);
    const permit = limiter.tryAcquire()!;
    permit.release('ignored');
    permit.release('ignored');
    expect(limiter.state().inFlight).toBe(0);
  });

  it('does not grow while less than half of the limit is in use (app-limited)', () => {
    const clock = manualClock();
    const limiter = createStartLimiter(settings, clock.now);
    for (let i = 0; i < 50; i += 1) {
      const permit = limiter.tryAcquire()!;
      clock.advance(5);
      permit.release('success');
    }
    expect(limiter.state().limit).toBe(10);
    expect(limiter.state().minRttMs).toBe(5);
  });

  it('grows while busy starts stay near the minimum RTT, and shrinks when they slow down', () => {
    const clock = manualClock();
    const limiter = createStartLimiter(settings, clock.now);
    /** One round: as many concurrent starts as the limit allows, each taking `rtt`. */
    const round = (rtt: number) => {
      const permits = [];
      for (let p = limiter.tryAcquire(); p; p = limiter.tryAcquire()) permits.push(p);
      clock.advance(rtt);
      for (const permit of permits) permit.release('success');
    };
    for (let i = 0; i < 5; i += 1) round(5);
    const grown = limiter.state().limit;
    expect(grown).toBeGreaterThan(10);
    for (let i = 0; i < 5; i += 1) round(100);
    expect(limiter.state().limit).toBeLessThan(grown);
    expect(limiter.state().minRttMs).toBe(5);
  });

  it('forgets a minimum RTT older than two windows', () => {
    const clock = manualClock();
    const limiter = createStartLimiter(settings, clock.now);
    const sample = (rtt: number) => {
      const permit = limiter.tryAcquire()!;
      clock.advance(rtt);
      permit.release('success');
    };
    sample(2);
    clock.advance(1_000);
    sample(8); // new window; the previous one (min 2) still counts
    expect(limiter.state().minRttMs).toBe(2);
    clock.advance(1_000);
    sample(9); // the window with 2 is now two windows old
    expect(limiter.state().minRttMs).toBe(8);
  });

  it('shrinks multiplicatively on drops, down to the minimum', () => {
    const limiter = createStartLimiter({ ...settings, initial: 10 });
    for (let i = 0; i < 20; i += 1) limiter.tryAcquire()!.release('dropped');
    expect(limiter.state().limit).toBe(2);
    // At the minimum, starts still go through: the server is always probed.
    expect(limiter.tryAcquire()).toBeDefined();
  });
});
