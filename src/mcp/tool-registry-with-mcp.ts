import type { Logger } from 'pino';
import { createToolRegistry, DEFAULT_TOOLS, type ToolRegistry } from '../activities/tools/registry';
import { connectMcpTools } from './mcp-tools';
import type { McpServerSettings } from './mcp-settings';

/** An activity worker's tools: the built-in ones and those of the configured MCP servers. */
export interface WorkerToolRegistry {
  registry: ToolRegistry;
  /** Ends the MCP connections; call it after the workers have drained. */
  close(): Promise<void>;
}

/**
 * Builds the registry an activity worker process shares between its model-call worker (which
 * sends the definitions to Claude) and its tool worker (which runs the calls). Without MCP
 * servers it is exactly the built-in registry and opens nothing.
 */
export async function openWorkerToolRegistry(
  servers: readonly McpServerSettings[],
  logger: Logger,
): Promise<WorkerToolRegistry> {
  if (servers.length === 0) return { registry: createToolRegistry(), close: async () => {} };
  const mcp = await connectMcpTools(servers, logger);
  try {
    return {
      registry: createToolRegistry([...DEFAULT_TOOLS, ...mcp.tools]),
      close: () => mcp.close(),
    };
  } catch (err) {
    await mcp.close();
    throw err;
  }
}
