/** The chaos runner behind `npm run chaos`, reused by the benchmarks. */
export { runChaos, type ChaosReport, type ChaosTarget } from './runner';
export { chaosOptions, parseChaosArgs, type ChaosOptions } from './options';
export { formatChaosSummary } from './format';
export { countActivityCompletions } from './history-completions';
export { stackChaosTarget } from './stack-target';
