import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from './settings';

/** A connected Temporal client and the connection to close when done. */
export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * Connects a Temporal client (used by the API and tools). Pass the data converter from
 * `createDataConverter` whenever the client starts workflows or reads their payloads, so it
 * encrypts and decrypts exactly like the workers.
 */
export async function connectClient(
  settings: TemporalSettings,
  options: { dataConverter?: DataConverter; interceptors?: ClientInterceptors } = {},
): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({
    ...settings.connectionOptions,
    connectTimeout: '10s',
  });
  const client = new Client({
    connection,
    namespace: settings.namespace,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
  });
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
