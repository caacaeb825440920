import type { Logger } from 'pino';
import { z } from 'zod';
import { defineTool, ToolInputError, type AgentTool } from '../activities/tools/types';
import { McpConnection, type McpCallResult, type McpListedTool } from './mcp-connection';
import { mcpContentToText } from './mcp-tool-output';
import { mcpToolName, type McpServerSettings } from './mcp-settings';

/** How often a running MCP call heartbeats, so a cancelled job reaches it within about that. */
const HEARTBEAT_EVERY_MS = 1_000;

/** The tools of the configured MCP servers, and the connections behind them. */
export interface McpTools {
  /** Registry entries (namespaced `<server>__<tool>`), to add beside the built-in tools. */
  tools: AgentTool[];
  /** Ends every connection (stdio servers' processes exit). */
  close(): Promise<void>;
}

/**
 * Connects to every configured server and lists its tools, once, at worker start. A server that
 * cannot be reached fails the start (naming the server, never its settings): a worker offering
 * the model fewer tools than configured would fail jobs in ways that are hard to trace.
 */
export async function connectMcpTools(
  servers: readonly McpServerSettings[],
  logger: Logger,
): Promise<McpTools> {
  const connections = servers.map((server) => new McpConnection(server, logger));
  const close = async () => {
    await Promise.allSettled(connections.map((connection) => connection.close()));
  };
  try {
    const listed = await Promise.all(
      connections.map(async (connection) => {
        try {
          return await connection.listTools();
        } catch (err) {
          throw new Error(
            `MCP server ${connection.settings.name}: cannot connect or list tools (${(err as Error).message})`,
            { cause: err },
          );
        }
      }),
    );
    const tools = connections.flatMap((connection, i) =>
      toolsOf(connection, listed[i] ?? [], logger),
    );
    logger.info({ mcp_tools: tools.map((t) => t.name) }, 'MCP tools listed');
    return { tools, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Registry entries for one server's listed tools; names that collide once namespaced are skipped. */
function toolsOf(
  connection: McpConnection,
  listed: readonly McpListedTool[],
  logger: Logger,
): AgentTool[] {
  const server = connection.settings;
  const byName = new Map<string, AgentTool>();
  for (const tool of listed) {
    const name = mcpToolName(server.name, tool.name);
    if (byName.has(name)) {
      logger.warn({ mcp_server: server.name, tool: name }, 'MCP tool name collides; skipped');
      continue;
    }
    const policy = server.toolPolicies?.[tool.name];
    const mcpTool = defineTool({
      name,
      description: tool.description ?? `Tool ${tool.name} of the ${server.name} MCP server.`,
      // The server validates the arguments against its own schema; we check only the shape.
      inputSchema: z.record(z.string(), z.unknown()),
      inputJsonSchema: { ...tool.inputSchema, type: 'object' },
      ...(policy ? { policy } : {}),
      async run(input, ctx) {
        const heartbeat = setInterval(() => ctx.heartbeat?.(), HEARTBEAT_EVERY_MS);
        try {
          ctx.heartbeat?.();
          const result = await connection.callTool(tool.name, input, ctx.signal, () =>
            ctx.heartbeat?.(),
          );
          return resultText(result);
        } finally {
          clearInterval(heartbeat);
        }
      },
    });
    byName.set(name, mcpTool);
  }
  return [...byName.values()];
}

/** The result's text; an `isError` result becomes an error result for the model, not a retry. */
function resultText(result: McpCallResult): string {
  const text =
    result.content && result.content.length > 0
      ? mcpContentToText(result.content)
      : JSON.stringify(result.structuredContent ?? result.toolResult ?? '');
  if (result.isError) throw new ToolInputError(text || 'the tool reported an error');
  return text;
}
