/**
 * A streamable-HTTP MCP server for tests (stateless: a fresh server per request), offering
 * `shout`. Requests without the expected `authorization` header get 401, so a test can see that
 * the configured `headers` reach the server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A running test HTTP MCP server. */
export interface McpHttpTestServer {
  url: string;
  /** Requests refused for a missing or wrong authorization header. */
  refused(): number;
  close(): Promise<void>;
}

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'agent-fleet-http-test', version: '1.0.0' });
  server.registerTool(
    'shout',
    { description: 'Upper-cases a text.', inputSchema: { text: z.string().max(1_000) } },
    ({ text }) => ({ content: [{ type: 'text' as const, text: text.toUpperCase() }] }),
  );
  return server;
}

/** Starts the server on a free loopback port; `authorization` is the header value it requires. */
export async function startMcpHttpTestServer(authorization: string): Promise<McpHttpTestServer> {
  let refused = 0;
  const http: Server = createServer((req, res) => {
    if (req.headers.authorization !== authorization) {
      refused += 1;
      res.writeHead(401).end();
      return;
    }
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
