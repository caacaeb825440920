/**
 * Seeded pseudo-random numbers (mulberry32). Chaos tests need faults that are random-looking but
 * identical on every run with the same seed, which `Math.random` cannot give.
 */

/** Returns a function yielding numbers in [0, 1), fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
