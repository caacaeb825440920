/**
 * Settings of the Restate peer baseline (`RESTATE_*` variables of ours plus PORT/HOST and the model
 * settings), validated with zod so a bad value names its variable. (The restate-server binary
 * reads its own `RESTATE_*` variables; ours are only passed to our API and service processes.)
 */
import { z } from 'zod';
import { OUR_RETRY_POLICY } from '../model-call';
import { modelSettingsShape, parseSettings } from '../model-settings';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  PORT: int(0, 65535).default(8120),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** restate-server's HTTP ingress (the API submits and reads jobs through it). */
  RESTATE_INGRESS_URL: z.url().default('http://127.0.0.1:8080'),
  /** Port of the service endpoint process (HTTP/2, registered as a deployment). */
  RESTATE_SERVICE_PORT: int(1, 65535).default(9080),
  /** `ctx.run` retries as our retry policy: attempts, first and largest interval, factor 2. */
  RESTATE_MAX_ATTEMPTS: int(1, 1_000).default(OUR_RETRY_POLICY.maxAttempts),
  RESTATE_RETRY_INTERVAL_MS: int(10, 3_600_000).default(OUR_RETRY_POLICY.initialIntervalMs),
  RESTATE_MAX_RETRY_INTERVAL_MS: int(10, 3_600_000).default(OUR_RETRY_POLICY.maxIntervalMs),
  ...modelSettingsShape,
});

/** Validated baseline settings. */
export type RestateSettings = z.infer<typeof schema>;

/** Name of the Restate workflow that runs one chat. */
export const CHAT_WORKFLOW = 'chat';

/**
 * Reads the settings.
 *
 * @throws Error naming each invalid variable.
 */
export function readRestateSettings(
  env: NodeJS.ProcessEnv | Record<string, string>,
): RestateSettings {
  return parseSettings('Restate baseline', schema, env);
}
