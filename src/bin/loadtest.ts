/**
 * `npm run loadtest -- --url http://127.0.0.1:8000 --rate 50 --duration 30`: open-loop load
 * against a deployment, a live progress bar, and a JSON + HTML report. Exits 1 when jobs were
 * lost or answered wrongly, so it can gate a deploy.
 */
import { ArgsError, flagsFromSchema, helpRequested, type CommandUsage } from '../runtime/cli-args';
import {
  buildReport,
  formatSummary,
  parseLoadtestArgs,
  progressPrinter,
  runLoadtest,
  writeReport,
} from '../loadtest';
import { loadtestArgsSchema } from '../loadtest/options';

const USAGE: CommandUsage = {
  synopsis: 'npm run loadtest -- [flags]',
  summary:
    'Open-loop load against a running API (a fake-Claude stack unless you say otherwise), with a ' +
    'live progress bar and a JSON + HTML report. Exits 1 when jobs were lost or answered wrongly.',
  flags: flagsFromSchema(
    loadtestArgsSchema,
    {
      url: 'the API',
      rate: 'jobs submitted per second (open loop)',
      duration: 'seconds of submitting',
      users: 'distinct user ids',
      'user-prefix': 'user ids are <prefix>-<n>',
      'priority-mix': 'weights of high,medium,normal',
      'message-mix': 'weights of arith,echo,long messages',
      'latency-ms': 'fake-Claude latency per call (directive in each message)',
      'ttft-ms': 'fake-Claude time to first token',
      tps: 'fake-Claude output tokens per second',
      'fail-mix': 'failure scripts by fraction of jobs, e.g. 429:1=0.1,529=0.05',
      'poll-interval': 'ms between status polls of one job',
      'poll-concurrency': 'status polls in flight',
      'drain-timeout': 'seconds to wait for jobs after submitting stops',
      'max-in-flight': 'unanswered submissions before the client refuses more',
      'request-timeout': 'ms per HTTP request',
      out: 'report path prefix (unset: bench/results/tmp/loadtest-<time>)',
      seed: 'random seed of the workload',
      quiet: 'no progress bar',
      'allow-remote': 'allow a --url that is not loopback',
    },
    { envPrefix: 'LOADTEST', booleans: ['quiet', 'allow-remote'] },
  ),
  example: 'npm run loadtest -- --url http://127.0.0.1:8000 --rate 50 --duration 30',
};

async function main(): Promise<void> {
  if (helpRequested(USAGE)) return;
  const options = parseLoadtestArgs(process.argv.slice(2), process.env);
  const controller = new AbortController();
  // First Ctrl-C stops sending and draining and still writes the report; a second one exits.
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: writing the report (Ctrl-C again to quit)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const run = await runLoadtest(options, {
    onProgress: options.quiet ? undefined : progressPrinter(process.stderr),
    signal: controller.signal,
  });
  const report = buildReport(run);
  process.stdout.write(`${formatSummary(report)}\n`);
  const prefix =
    options.out ?? `bench/results/tmp/loadtest-${report.startedAt.replace(/[:.]/g, '-')}`;
  const files = await writeReport(report, prefix);
  process.stdout.write(`report: ${files.json}\n        ${files.html}\n`);
  if (report.counts.lost > 0 || report.counts.wrongAnswers > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`loadtest: ${err instanceof ArgsError ? err.message : String(err)}\n`);
  process.exit(2);
});
