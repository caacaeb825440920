/** Percentiles and histograms over plain arrays of milliseconds. */

/** Distribution summary of a set of values (all in the unit of the input, usually ms). */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile of an ascending array (`p` in 0..100). Nearest rank rather than
 * interpolation so a reported p99 is always a latency some request really had.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Summarises `values` (not modified). NaN fields when empty. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? Number.NaN : sorted.reduce((sum, v) => sum + v, 0) / n;
  return {
    count: n,
    min: n === 0 ? Number.NaN : sorted[0]!,
    mean,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n === 0 ? Number.NaN : sorted[n - 1]!,
  };
}

/** One histogram bin: values in [from, to). */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

/**
 * Histogram with `bins` bins on a log scale when the values span more than two decades (latency
 * distributions are long-tailed), linear otherwise.
 */
export function histogram(values: readonly number[], bins = 30): HistogramBin[] {
  if (values.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return [{ from: lo, to: hi, count: values.length }];
  const log = lo > 0 && hi / lo > 100;
  const edge = (i: number): number =>
    log ? lo * Math.pow(hi / lo, i / bins) : lo + ((hi - lo) * i) / bins;
  const out: HistogramBin[] = Array.from({ length: bins }, (_, i) => ({
    from: edge(i),
    to: edge(i + 1),
    count: 0,
  }));
  for (const v of values) {
    const x = log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
    out[Math.min(bins - 1, Math.max(0, Math.floor(x * bins)))]!.count += 1;
  }
  return out;
}

/** Rounds for reports: 0.1 ms precision is plenty and keeps JSON readable. */
export function round1(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : value;
}

/** A {@link Summary} with every field rounded by {@link round1}. */
export function roundSummary(summary: Summary): Summary {
  return {
    count: summary.count,
    min: round1(summary.min),
    mean: round1(summary.mean),
    p50: round1(summary.p50),
    p95: round1(summary.p95),
    p99: round1(summary.p99),
    max: round1(summary.max),
  };
}
