/**
 * `node dist/bin/install-temporal-server.js`: makes sure the full Temporal server and its SQL
 * tool (the PostgreSQL production profile) are built into .temporal/bin, building them from the
 * Go module proxy on the first run, and prints their paths on stdout. Progress goes to stderr.
 * `.ci/run` calls it before the tests so no test waits for a multi-minute build.
 */
import path from 'node:path';
import { helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import {
  TEMPORAL_SERVER_VERSION,
  ensureTemporalServerBinaries,
} from '../temporal/temporal-server-binary';

// src/bin/ and dist/bin/ are both two levels below the repository root.
const projectRoot = path.resolve(__dirname, '..', '..');

const USAGE: CommandUsage = {
  synopsis: 'node dist/bin/install-temporal-server.js',
  summary:
    `Makes sure the full Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool (for ` +
    '`npm run stack:postgres`) are in .temporal/bin, building them with Go on the first run; ' +
    'prints both paths on stdout (progress on stderr).',
  env: [{ name: 'PATH', description: 'where `go` is found (Go 1.25+) for the first build' }],
  example: 'node dist/bin/install-temporal-server.js',
};

async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const binaries = await ensureTemporalServerBinaries({
    projectRoot,
    env: process.env,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${binaries.serverPath}\n${binaries.sqlToolPath}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
