import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ConnectionOptions } from '@temporalio/client';

/** Where and how to reach Temporal. Built only here: no other module reads addresses or TLS. */
export interface TemporalSettings {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  /**
   * True when the environment (or a Temporal config profile) names a server, so `npm start` must
   * not launch its own dev server.
   */
  external: boolean;
  /** Options for both `Connection.connect` (client) and `NativeConnection.connect` (worker). */
  connectionOptions: Pick<ConnectionOptions, 'address' | 'tls' | 'metadata'> & { apiKey?: string };
}

/** The address a local dev server listens on when nothing else is configured. */
export const LOCAL_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/**
 * Reads the standard Temporal client settings — `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
 * `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`,
 * `TEMPORAL_GRPC_META_*` — through `@temporalio/envconfig`, so Agent Fleet connects to a cluster
 * or Temporal Cloud exactly like the `temporal` CLI does.
 */
export function readTemporalSettings(env: NodeJS.ProcessEnv): TemporalSettings {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const loaded = loadClientConnectConfig({ overrideEnvVars });
  const configuredAddress = loaded.connectionOptions.address;
  const address = configuredAddress ?? LOCAL_TEMPORAL_ADDRESS;
  return {
    address,
    namespace: loaded.namespace ?? 'default',
    external: configuredAddress !== undefined,
    connectionOptions: {
      address,
      tls: loaded.connectionOptions.tls,
      apiKey:
        typeof loaded.connectionOptions.apiKey === 'string'
          ? loaded.connectionOptions.apiKey
          : undefined,
      metadata: loaded.connectionOptions.metadata,
    },
  };
}

/** The same settings pointed at another address (used once `npm start` has launched a server). */
export function withAddress(settings: TemporalSettings, address: string): TemporalSettings {
  return { ...settings, address, connectionOptions: { ...settings.connectionOptions, address } };
}
