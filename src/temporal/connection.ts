import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from './settings';

/** A connected Temporal client and the connection to close when done. */
export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** Connects a Temporal client (used by the API and tools). */
export async function connectClient(settings: TemporalSettings): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({
    ...settings.connectionOptions,
    connectTimeout: '10s',
  });
  const client = new Client({ connection, namespace: settings.namespace });
  return { client, connection, close: () => connection.close() };
}

/** Connects the native (Rust core) connection a worker polls with. */
export async function connectWorkerConnection(
  settings: TemporalSettings,
): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: settings.connectionOptions.address,
    tls: settings.connectionOptions.tls,
    apiKey: settings.connectionOptions.apiKey,
    metadata: settings.connectionOptions.metadata,
  });
}
