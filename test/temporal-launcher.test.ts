/**
 * Real-process tests of the Temporal CLI lookup and the dev-server launcher (no mocks): these
 * start their own servers on free ports, independent of the one from the global setup.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../src/shared/constants';
import {
  DEV_SERVER_DYNAMIC_CONFIG,
  type DevServerHandle,
  startDevServer,
} from '../src/temporal/dev-server';
import { getFreePort } from '../src/temporal/free-port';
import { ensureTemporalBinary } from '../src/temporal/temporal-binary';

const projectRoot = path.resolve(__dirname, '..');
const searchAttributes = Object.values(SEARCH_ATTRIBUTES);

let binaryPath: string;
let tempDir: string;
const logs: string[] = [];
const log = (line: string): void => {
  logs.push(line);
};
/** Servers to stop even if a test fails half-way. */
const started: DevServerHandle[] = [];

async function start(port: number, dbFilename: string): Promise<DevServerHandle> {
  const handle = await startDevServer({
    binaryPath,
    port,
    uiPort: false,
    dbFilename,
    searchAttributes,
    dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
    log,
  });
  started.push(handle);
  return handle;
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

beforeAll(async () => {
  binaryPath = await ensureTemporalBinary({ projectRoot, env: process.env, log });
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-fleet-launcher-test-'));
});

afterAll(async () => {
  await Promise.all(started.map((handle) => handle.stop()));
  await fs.rm(tempDir, { recursive: true, force: true });
});

describe('ensureTemporalBinary', () => {
  it('explains how to get the CLI when nothing is available', async () => {
    const emptyRoot = await fs.mkdtemp(path.join(tempDir, 'no-temporal-'));
    const promise = ensureTemporalBinary({ projectRoot: emptyRoot, env: { PATH: '' }, log });
    await expect(promise).rejects.toThrow(/TEMPORAL_CLI_PATH/);
    const message = await promise.then(
      () => '',
      (err: Error) => err.message,
    );
    expect(message).toMatch(/Install Go/);
    expect(message).toMatch(/go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
    expect(message).toMatch(/github\.com\/temporalio\/cli\/releases/);
    expect(message).toMatch(/brew install temporal/);
    expect(message).toMatch(/TEMPORAL_ADDRESS/);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable', async () => {
    await expect(
      ensureTemporalBinary({
        projectRoot,
        env: { PATH: '', TEMPORAL_CLI_PATH: path.join(tempDir, 'missing-temporal') },
        log,
      }),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH is set to .*missing-temporal/);
  });

  it('prefers TEMPORAL_CLI_PATH, then finds `temporal` on PATH', async () => {
    const emptyRoot = await fs.mkdtemp(path.join(tempDir, 'no-temporal-'));
    await expect(
      ensureTemporalBinary({
        projectRoot: emptyRoot,
        env: { PATH: '', TEMPORAL_CLI_PATH: binaryPath },
        log,
      }),
    ).resolves.toBe(binaryPath);
    await expect(
      ensureTemporalBinary({
        projectRoot: emptyRoot,
        env: { PATH: ['/nonexistent', path.dirname(binaryPath)].join(path.delimiter) },
        log,
      }),
    ).resolves.toBe(path.join(path.dirname(binaryPath), path.basename(binaryPath)));
  });
});

describe('startDevServer', () => {
  let port: number;
  let dbFilename: string;
  let server: DevServerHandle;

  beforeAll(async () => {
    port = await getFreePort();
    dbFilename = path.join(tempDir, 'state', 'temporal.sqlite');
    server = await start(port, dbFilename);
  });

  it('starts a server with the project search attributes registered', async () => {
    expect(server.reused).toBe(false);
    expect(server.address).toBe(`127.0.0.1:${port}`);
    expect(server.namespace).toBe('default');
    expect(server.pid).toEqual(expect.any(Number));
    await expect(fs.stat(dbFilename)).resolves.toBeTruthy();

    const connection = await Connection.connect({ address: server.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      expect(customAttributes?.[SEARCH_ATTRIBUTES.userId.name]).toBe(2); // KEYWORD
      expect(customAttributes?.[SEARCH_ATTRIBUTES.priority.name]).toBe(3); // INT
    } finally {
      await connection.close();
    }
  });

  it('reuses a server already listening on the port, and leaves it running', async () => {
    const second = await start(port, dbFilename);
    expect(second.reused).toBe(true);
    expect(second.pid).toBeUndefined();
    expect(second.address).toBe(server.address);
    expect(logs.join('\n')).toMatch(/Reusing the Temporal server already running/);

    await second.stop();
    const connection = await Connection.connect({ address: server.address });
    try {
      await expect(connection.workflowService.getSystemInfo({})).resolves.toBeDefined();
    } finally {
      await connection.close();
    }
  });

  it('registers the namespace and search attributes on a reused server', async () => {
    const namespace = `launcher-test-${randomUUID().slice(0, 8)}`;
    const reused = await startDevServer({ binaryPath, port, namespace, searchAttributes, log });
    expect(reused.reused).toBe(true);
    expect(reused.namespace).toBe(namespace);
    const connection = await Connection.connect({ address: reused.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace,
      });
      expect(customAttributes?.[SEARCH_ATTRIBUTES.userId.name]).toBe(2);
      await new Client({ connection, namespace }).workflow.start('someType', {
        taskQueue: 'nobody',
        workflowId: `launcher-test-${randomUUID()}`,
        args: [],
      });
    } finally {
      await connection.close();
    }
  });

  it('stops the process, and keeps workflows in the db file across a restart', async () => {
    const workflowId = `launcher-test-${randomUUID()}`;
    let connection = await Connection.connect({ address: server.address });
    try {
      await new Client({ connection }).workflow.start('someType', {
        taskQueue: 'nobody',
        workflowId,
        args: [],
      });
    } finally {
      await connection.close();
    }

    const pid = server.pid!;
    await server.stop();
    expect(await connectionRefused(port)).toBe(true);
    expect(processExists(pid)).toBe(false);

    const restarted = await start(port, dbFilename);
    expect(restarted.reused).toBe(false);
    expect(restarted.pid).not.toBe(pid);
    connection = await Connection.connect({ address: restarted.address });
    try {
      const description = await new Client({ connection }).workflow
        .getHandle(workflowId)
        .describe();
      expect(description.type).toBe('someType');
      expect(description.status.name).toBe('RUNNING');
    } finally {
      await connection.close();
    }
    await restarted.stop();
    expect(processExists(restarted.pid!)).toBe(false);
  });
});

describe('startDevServer failures', () => {
  it('rejects quickly when the port is held by something that is not Temporal', async () => {
    // A plain TCP listener that hangs up on everyone (destroy, not end: a half-open socket left
    // behind by a gRPC probe would make blocker.close() wait forever).
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const startedAt = Date.now();
      await expect(
        startDevServer({ binaryPath, port, uiPort: false, startTimeoutMs: 60_000, log }),
      ).rejects.toThrow(/exited with code \d+ before it became ready[\s\S]*address already in use/);
      expect(Date.now() - startedAt).toBeLessThan(30_000);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('rejects with the server output on a bad flag', async () => {
    const port = await getFreePort();
    await expect(
      startDevServer({ binaryPath, port, uiPort: false, logLevel: 'bogus', log }),
    ).rejects.toThrow(/exited with code \d+ before it became ready[\s\S]*bogus/);
  });

  it('rejects when the binary does not exist', async () => {
    const port = await getFreePort();
    await expect(
      startDevServer({ binaryPath: path.join(tempDir, 'nope'), port, uiPort: false, log }),
    ).rejects.toThrow(/failed to start: .*ENOENT/);
  });
});
