import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
/** PostgreSQL identifiers we interpolate into CREATE DATABASE: keep them boring. */
const databaseName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only (max 63 characters)');

/**
 * Environment of the PostgreSQL production profile (`npm run stack:postgres`). Separate from the
 * app's env schema because only the launcher reads it; the server config template
 * (deploy/temporal-postgres/agent-fleet.yaml) has the same names and defaults.
 */
export const postgresProfileEnvSchema = z.object({
  TEMPORAL_PG_HOST: z.string().min(1).default('127.0.0.1'),
  TEMPORAL_PG_PORT: port.default(5432),
  TEMPORAL_PG_USER: z.string().min(1).default('postgres'),
  TEMPORAL_PG_PASSWORD: z.string().optional(),
  TEMPORAL_PG_DATABASE: databaseName.default('agent_fleet_temporal'),
  TEMPORAL_PG_VISIBILITY_DATABASE: databaseName.default('agent_fleet_temporal_visibility'),
  /**
   * Frontend gRPC port; history/matching/worker/HTTP/membership/metrics ports derive from it.
   * At most 32661: the server stores membership ports (frontend + 106) in a PostgreSQL smallint.
   */
  TEMPORAL_PG_FRONTEND_PORT: port
    .max(32_767 - 106, 'at most 32661 (membership port = this + 106 must fit a smallint)')
    .default(7333),
  TEMPORAL_PG_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
});

/** Validated settings of the PostgreSQL-backed Temporal server. */
export interface PostgresProfileSettings {
  pgHost: string;
  pgPort: number;
  pgUser: string;
  /** Never logged. Empty with trust authentication (the default on this project's machines). */
  pgPassword?: string;
  database: string;
  visibilityDatabase: string;
  frontendPort: number;
  logLevel: string;
}

/**
 * Parses the profile's environment.
 *
 * @throws Error naming every invalid variable.
 */
export function readPostgresProfileSettings(env: NodeJS.ProcessEnv): PostgresProfileSettings {
  const present = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== ''),
  );
  const parsed = postgresProfileEnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new Error(
      'Invalid PostgreSQL profile configuration: ' +
        parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  const e = parsed.data;
  if (e.TEMPORAL_PG_DATABASE === e.TEMPORAL_PG_VISIBILITY_DATABASE) {
    throw new Error(
      'Invalid PostgreSQL profile configuration: TEMPORAL_PG_VISIBILITY_DATABASE must differ ' +
        'from TEMPORAL_PG_DATABASE',
    );
  }
  return {
    pgHost: e.TEMPORAL_PG_HOST,
    pgPort: e.TEMPORAL_PG_PORT,
    pgUser: e.TEMPORAL_PG_USER,
    pgPassword: e.TEMPORAL_PG_PASSWORD,
    database: e.TEMPORAL_PG_DATABASE,
    visibilityDatabase: e.TEMPORAL_PG_VISIBILITY_DATABASE,
    frontendPort: e.TEMPORAL_PG_FRONTEND_PORT,
    logLevel: e.TEMPORAL_PG_LOG_LEVEL,
  };
}

/** The environment the server config template reads (see deploy/temporal-postgres/). */
export function serverTemplateEnv(settings: PostgresProfileSettings): Record<string, string> {
  return {
    TEMPORAL_PG_BIND_IP: '127.0.0.1',
    TEMPORAL_PG_HOST: settings.pgHost,
    TEMPORAL_PG_PORT: String(settings.pgPort),
    TEMPORAL_PG_USER: settings.pgUser,
    TEMPORAL_PG_PASSWORD: settings.pgPassword ?? '',
    TEMPORAL_PG_DATABASE: settings.database,
    TEMPORAL_PG_VISIBILITY_DATABASE: settings.visibilityDatabase,
    TEMPORAL_PG_FRONTEND_PORT: String(settings.frontendPort),
    TEMPORAL_PG_LOG_LEVEL: settings.logLevel,
  };
}
