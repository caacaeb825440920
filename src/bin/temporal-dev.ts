/**
 * `npm run temporal`: runs a local Temporal dev server (frontend 7233, Web UI 8233, state kept in
 * .temporal/dev.sqlite) configured for Agent Fleet — custom search attributes registered and the
 * priority/fairness matcher enabled — until Ctrl-C.
 *
 * Environment: TEMPORAL_DEV_PORT, TEMPORAL_UI_PORT, TEMPORAL_DB_FILE (relative paths are resolved
 * against the repository root), TEMPORAL_NAMESPACE, TEMPORAL_CLI_PATH.
 */
import path from 'node:path';
import { z } from 'zod';
import { envFromSchema, helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import { startDevServer } from '../temporal/dev-server';
import { ensureTemporalBinary } from '../temporal/temporal-binary';

// src/bin/ and dist/bin/ are both two levels below the repository root.
const projectRoot = path.resolve(__dirname, '..', '..');

/** Unset and empty variables both mean "use the default". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);
const port = z.coerce.number().int().min(1).max(65535);

const devEnvSchema = z.object({
  TEMPORAL_DEV_PORT: optional(port.default(7233)),
  TEMPORAL_UI_PORT: optional(port.default(8233)),
  TEMPORAL_DB_FILE: optional(z.string().min(1).default('.temporal/dev.sqlite')),
  TEMPORAL_NAMESPACE: optional(z.string().min(1).default('default')),
});

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const USAGE: CommandUsage = {
  synopsis: 'npm run temporal   (node dist/bin/temporal-dev.js)',
  summary:
    'Runs a local Temporal dev server configured for Agent Fleet (search attributes, ' +
    'priority/fairness matcher, state in a SQLite file) until Ctrl-C; reuses one already running.',
  env: [
    ...envFromSchema(devEnvSchema, {
      TEMPORAL_DEV_PORT: 'frontend gRPC port',
      TEMPORAL_UI_PORT: 'Web UI port',
      TEMPORAL_DB_FILE: 'SQLite file (relative to the repository root)',
      TEMPORAL_NAMESPACE: 'namespace',
    }),
    { name: 'TEMPORAL_CLI_PATH', description: 'the `temporal` executable (else found or built)' },
  ],
  example: 'TEMPORAL_UI_PORT=8300 npm run temporal',
};

async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const parsed = devEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `Invalid environment for the Temporal dev server:\n${z.prettifyError(parsed.error)}`,
    );
  }
  const env = parsed.data;
  const binaryPath = await ensureTemporalBinary({ projectRoot, env: process.env, log });
  const dbFilename = path.resolve(projectRoot, env.TEMPORAL_DB_FILE);

  const server = await startDevServer({
    binaryPath,
    port: env.TEMPORAL_DEV_PORT,
    uiPort: env.TEMPORAL_UI_PORT,
    dbFilename,
    namespace: env.TEMPORAL_NAMESPACE,
    log,
  });

  if (server.reused) {
    process.stdout.write(
      `A Temporal server is already running at ${server.address} (namespace ${server.namespace}); ` +
        'nothing to start.\n',
    );
    return;
  }

  process.stdout.write(
    [
      `Temporal dev server running (pid ${server.pid ?? '?'})`,
      `  address:   ${server.address}`,
      `  namespace: ${server.namespace}`,
      `  Web UI:    ${server.uiUrl ?? '(headless)'}`,
      `  database:  ${dbFilename}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // Second Ctrl-C: the user is impatient; exiting runs the launcher's SIGKILL exit hook.
      process.exit(130);
    }
    stopping = true;
    log(`${signal} received, stopping the Temporal dev server…`);
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`Error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // The event loop only runs dry if the server died on its own (the launcher has logged why).
  process.on('beforeExit', () => {
    if (!stopping) process.exitCode = 1;
  });
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
