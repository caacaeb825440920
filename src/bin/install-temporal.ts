/**
 * `node dist/bin/install-temporal.js`: makes sure the Temporal CLI is available (finding it or
 * building it into .temporal/bin) and prints its path on stdout. Progress goes to stderr so that
 * `TEMPORAL_CLI_PATH=$(node dist/bin/install-temporal.js)` works in scripts.
 */
import path from 'node:path';
import { helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import { TEMPORAL_CLI_VERSION, ensureTemporalBinary } from '../temporal/temporal-binary';

// src/bin/ and dist/bin/ are both two levels below the repository root.
const projectRoot = path.resolve(__dirname, '..', '..');

const USAGE: CommandUsage = {
  synopsis: 'node dist/bin/install-temporal.js',
  summary:
    `Finds the Temporal CLI, or builds ${TEMPORAL_CLI_VERSION} into .temporal/bin with Go, and ` +
    'prints its path on stdout (progress on stderr).',
  env: [
    {
      name: 'TEMPORAL_CLI_PATH',
      description: 'use this executable instead of searching / building',
    },
  ],
  example: 'TEMPORAL_CLI_PATH=$(node dist/bin/install-temporal.js)',
};

async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const binaryPath = await ensureTemporalBinary({
    projectRoot,
    env: process.env,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${binaryPath}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
