import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from 'pino';
import { isStdioServer, type McpServerSettings } from './mcp-settings';

/** A tool as an MCP server lists it (the fields we use). */
export interface McpListedTool {
  name: string;
  description?: string;
  inputSchema: { type: 'object'; [key: string]: unknown };
}

/** The part of a `tools/call` result we read. */
export interface McpCallResult {
  content?: { type: string; [key: string]: unknown }[];
  structuredContent?: unknown;
  isError?: boolean;
  toolResult?: unknown;
}

/** How long the MCP handshake and `tools/list` may take before the worker gives up. */
const CONNECT_TIMEOUT_MS = 30_000;
/**
 * The SDK's own per-request timeout (default 60 s) must never cut a call short: the tool's
 * Temporal policy bounds each attempt and aborts the call through the activity's signal.
 */
const CALL_TIMEOUT_MS = 24 * 3_600_000;

/** Identifies this worker to the servers. */
const CLIENT_INFO = { name: 'agent-fleet', version: '1.0.0' };

/**
 * One configured MCP server as seen by an activity worker: a client connected at start and
 * connected again (lazily, on the next call) after the connection closed — a stdio server
 * that died is spawned anew, an HTTP session that ended is opened anew.
 */
export class McpConnection {
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #closed = false;

  constructor(
    readonly settings: McpServerSettings,
    private readonly logger: Logger,
  ) {}

  /** The server's tools, all pages of `tools/list` (connecting first if needed). */
  async listTools(): Promise<McpListedTool[]> {
    const client = await this.client();
    const tools: McpListedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, {
        timeout: CONNECT_TIMEOUT_MS,
      });
      tools.push(...(page.tools as McpListedTool[]));
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  /** Calls one of the server's tools; `signal` aborts it (and tells the server it was cancelled). */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    onProgress: () => void,
  ): Promise<McpCallResult> {
    const client = await this.client();
    return await client.callTool({ name, arguments: args }, undefined, {
      signal,
      timeout: CALL_TIMEOUT_MS,
      onprogress: onProgress,
    });
  }

  /** Closes the connection for good (a stdio server's process is ended). */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  /** The connected client, connecting (once, shared by concurrent callers) when there is none. */
  private async client(): Promise<Client> {
    if (this.#closed) throw new Error(`MCP server ${this.settings.name} is closed`);
    if (this.#client) return this.#client;
    this.#connecting ??= this.connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  private async connect(): Promise<Client> {
    const client = new Client(CLIENT_INFO);
    client.onclose = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      if (!this.#closed) {
        this.logger.warn({ mcp_server: this.settings.name }, 'MCP server connection closed');
      }
    };
    // Errors also surface as failed calls; the message may quote the server, never our settings.
    client.onerror = (err) =>
      this.logger.debug({ mcp_server: this.settings.name, err: err.message }, 'MCP error');
    await client.connect(this.transport(), { timeout: CONNECT_TIMEOUT_MS });
    this.#client = client;
    this.logger.info(
      {
        mcp_server: this.settings.name,
        transport: isStdioServer(this.settings) ? 'stdio' : 'http',
      },
      'MCP server connected',
    );
    return client;
  }

  private transport(): Transport {
    const s = this.settings;
    if (isStdioServer(s)) {
      return new StdioClientTransport({
        command: s.command,
        ...(s.args ? { args: s.args } : {}),
        ...(s.env ? { env: s.env } : {}),
        ...(s.cwd ? { cwd: s.cwd } : {}),
        // The server's own diagnostics go to the worker's stderr, beside its logs.
        stderr: 'inherit',
      });
    }
    return new StreamableHTTPClientTransport(
      new URL(s.url),
      s.headers ? { requestInit: { headers: s.headers } } : undefined,
    );
  }
}
