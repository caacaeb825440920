/**
 * `npm run loadtest -- --url http://127.0.0.1:8000 --rate 50 --duration 30`: open-loop load
 * against a deployment, a live progress bar, and a JSON + HTML report. Exits 1 when jobs were
 * lost or answered wrongly, so it can gate a deploy.
 */
import { ArgsError } from '../loadtest/cli-args';
import {
  buildReport,
  formatSummary,
  parseLoadtestArgs,
  progressPrinter,
  runLoadtest,
  writeReport,
} from '../loadtest';

async function main(): Promise<void> {
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
