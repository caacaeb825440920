/**
 * `node dist/bin/healthcheck.js`: the container image's HEALTHCHECK. Exits 0 when the process in
 * this container answers `GET /healthz`, else 1. The role is read from PID 1's command line (tini
 * running `dist/bin/worker.js` or `dist/bin/api.js`), so one HEALTHCHECK serves every role: a
 * worker is probed on WORKER_HEALTH_PORT, the API on PORT.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { envFromSchema, helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(1).max(65535).default(9465),
});

const USAGE: CommandUsage = {
  synopsis: 'node dist/bin/healthcheck.js',
  summary:
    "The container image's HEALTHCHECK: exits 0 when this container's API (or worker, if PID 1 " +
    'runs worker.js) answers GET /healthz on 127.0.0.1, else 1.',
  env: envFromSchema(envSchema, {
    PORT: 'the API port probed',
    WORKER_HEALTH_PORT: "a worker's probe port",
  }),
  example: 'docker exec <container> node dist/bin/healthcheck.js; echo $?',
};

function main(): void {
  try {
    if (helpOrNoArgs(USAGE)) return;
  } catch (err) {
    process.stderr.write(`healthcheck: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    process.stderr.write(`healthcheck: invalid configuration: ${detail}\n`);
    process.exit(1);
  }
  let pid1 = '';
  try {
    pid1 = readFileSync('/proc/1/cmdline', 'utf8');
  } catch {
    // Not on Linux: assume the API.
  }
  const port = pid1.includes('worker.js') ? parsed.data.WORKER_HEALTH_PORT : parsed.data.PORT;
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_500) }).then(
    (res) => process.exit(res.ok ? 0 : 1),
    () => process.exit(1),
  );
}

main();
