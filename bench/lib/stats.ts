/** Small statistics of bench rounds. */

/**
 * Median of the values; for an even count, the mean of the middle two (not the larger), so two
 * rounds give their mean. NaN for no values.
 */
export function median(values: readonly number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Rounds to `digits` decimals (NaN stays NaN). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
