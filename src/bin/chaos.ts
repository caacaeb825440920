/**
 * `npm run chaos`: starts a local stack it controls (Temporal dev server, fake Claude, API,
 * workers), drives arithmetic load, and on a schedule SIGKILLs / SIGSTOPs and restarts activity
 * workers (optionally the Temporal server too); then verifies that every accepted job finished
 * exactly once with the right answer and reports recovery times. Exits 1 if any check fails.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { formatChaosSummary, parseChaosArgs, runChaos, stackChaosTarget } from '../chaos';
import { chaosArgsSchema } from '../chaos/options';
import { ArgsError, flagsFromSchema, helpRequested, type CommandUsage } from '../runtime/cli-args';
import { progressPrinter, renderHtmlReport } from '../loadtest';
import { startLocalStack } from '../stack/local-stack';

const say = (line: string) => process.stderr.write(`[chaos] ${line}\n`);

const USAGE: CommandUsage = {
  synopsis: 'npm run chaos -- [flags]',
  summary:
    'Starts its own local stack, drives arithmetic load, SIGKILLs / SIGSTOPs and restarts activity ' +
    'workers (optionally the Temporal dev server) on a schedule, then checks every accepted job ' +
    'finished exactly once with the right answer. Exits 1 if a check fails.',
  flags: flagsFromSchema(
    chaosArgsSchema,
    {
      rate: 'jobs per second',
      duration: 'seconds of load',
      'activity-workers': 'activity worker processes',
      'latency-ms': 'fake-Claude latency per call (long enough for kills to land mid-call)',
      'first-at': 'seconds before the first fault',
      'kill-every': 'seconds between worker SIGKILLs (0 = none)',
      'restart-after': 'seconds before a killed worker is restarted',
      'stop-every': 'seconds between worker SIGSTOPs (0 = none)',
      'stop-for': 'seconds a stopped worker stays frozen',
      'kill-temporal-at': 'second at which the Temporal dev server is killed (unset: never)',
      'temporal-down-for': 'seconds the Temporal dev server stays down',
      'heartbeat-timeout-ms': 'Claude-call heartbeat timeout of the stack',
      'temporal-address': 'use this Temporal server instead of a dev server',
      'temporal-namespace': 'namespace on --temporal-address',
      'drain-timeout': 'seconds to wait for jobs after the load stops',
      'poll-interval': 'ms between status polls of one job',
      out: 'report path prefix (unset: bench/results/tmp/chaos-<time>)',
      seed: 'random seed of the fault schedule and workload',
      quiet: 'no progress bar',
    },
    { envPrefix: 'CHAOS', booleans: ['quiet'] },
  ),
  example: 'npm run chaos -- --duration 60 --kill-every 10 --kill-temporal-at 20',
};

async function main(): Promise<void> {
  if (helpRequested(USAGE)) return;
  const options = parseChaosArgs(process.argv.slice(2), process.env);
  say('starting a local stack (Temporal dev server, fake Claude, API, workers)…');
  const stack = await startLocalStack({
    temporal: options.temporalAddress
      ? { kind: 'external', address: options.temporalAddress, namespace: options.temporalNamespace }
      : { kind: 'dev' },
    activityWorkers: options.activityWorkers,
    env: {
      CLAUDE_HEARTBEAT_TIMEOUT_MS: String(options.heartbeatTimeoutMs),
      CLAUDE_INITIAL_RETRY_MS: '200',
      CLAUDE_MAX_RETRY_MS: '2000',
      WORKER_SHUTDOWN_GRACE_MS: '2000',
    },
    log: say,
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) process.exit(130);
    stopping = true;
    say('interrupted: stopping the stack');
    void stack.close().finally(() => process.exit(130));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    const report = await runChaos(stackChaosTarget(stack), options, {
      onProgress: options.quiet ? undefined : progressPrinter(process.stderr, 'chaos'),
      log: say,
    });
    process.stdout.write(`${formatChaosSummary(report)}\n`);
    const prefix =
      options.out ?? `bench/results/tmp/chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.mkdir(path.dirname(path.resolve(prefix)), { recursive: true });
    await fs.writeFile(`${prefix}.json`, `${JSON.stringify(report, null, 2)}\n`);
    await fs.writeFile(`${prefix}.html`, renderHtmlReport(report.load));
    process.stdout.write(`report: ${prefix}.json\n        ${prefix}.html (load)\n`);
    if (!report.verification.ok) process.exitCode = 1;
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `chaos: ${err instanceof ArgsError ? err.message : String(err instanceof Error ? err.stack : err)}\n`,
  );
  process.exit(2);
});
