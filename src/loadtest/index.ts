/** The load generator behind `npm run loadtest`, reused by the chaos runner and the benchmarks. */
export { runLoadtest, type LoadtestRun, type LoadtestHooks } from './engine';
export { buildReport, type LoadtestReport, type TimelinePoint } from './report';
export { loadtestOptions, parseLoadtestArgs, type LoadtestOptions } from './options';
export { progressPrinter } from './progress';
export { writeReport, formatSummary } from './write-report';
export { renderHtmlReport } from './html-report';
export { summarize, percentile, type Summary } from './stats';
export type { JobRecord, LiveCounters } from './types';
