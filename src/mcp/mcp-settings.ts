/**
 * `MCP_SERVERS`: the MCP tool servers whose tools agent jobs may call, as a JSON array. Parsed
 * by the API and the activity workers alike (src/config): the workers connect to the servers,
 * the API only needs the per-tool policies (it never talks to a server).
 */
import { z } from 'zod';
import type { ToolPolicy } from '../shared';

/** Between a server's name and its tool's in the name the model sees: `files__read_file`. */
export const MCP_NAME_SEPARATOR = '__';

/** Anthropic's tool-name charset; a namespaced name longer or wider than this is rewritten. */
const TOOL_NAME_MAX = 64;

const toolPolicySchema = z
  .object({
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const serverName = z
  .string()
  .regex(/^[a-z0-9-]{1,20}$/, 'lower-case letters, digits and - only (1-20 characters)');

/** Fields every server accepts: its name and per-tool activity policies. */
const commonFields = {
  name: serverName,
  /** `{"slow_tool": {"timeoutMs": 60000, "maxAttempts": 1}}`, keyed by the server's tool name. */
  toolPolicies: z.record(z.string().min(1).max(128), toolPolicySchema).optional(),
};

const stdioServerSchema = z
  .object({
    ...commonFields,
    command: z.string().min(1),
    args: z.array(z.string()).max(100).optional(),
    /** Added to a minimal environment (PATH, HOME…): the worker's own secrets are not passed. */
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), z.string())
      .optional(),
    cwd: z.string().min(1).optional(),
  })
  .strict();

const httpServerSchema = z
  .object({
    ...commonFields,
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    /** Sent with every request (e.g. `Authorization`); never logged. */
    headers: z.record(z.string().min(1), z.string()).optional(),
  })
  .strict();

/** One configured server: a command spawned over stdio, or a streamable-HTTP endpoint. */
export type McpServerSettings =
  z.output<typeof stdioServerSchema> | z.output<typeof httpServerSchema>;

/** The array, with unique server names. */
export const mcpServersSchema = z
  .array(
    z.unknown().transform((value, ctx): McpServerSettings => {
      // Pick the shape by its distinguishing key, so errors name that shape's fields instead of
      // a union's "no match".
      const isHttp = typeof value === 'object' && value !== null && 'url' in value;
      const parsed = (isHttp ? httpServerSchema : stdioServerSchema).safeParse(value);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      }
      return z.NEVER;
    }),
  )
  .max(50)
  .superRefine((servers, ctx) => {
    const seen = new Set<string>();
    servers.forEach((server, index) => {
      if (seen.has(server.name)) {
        ctx.addIssue({ code: 'custom', message: 'duplicate server name', path: [index, 'name'] });
      }
      seen.add(server.name);
    });
  });

/** `MCP_SERVERS` as the environment gives it: JSON text. Messages never repeat the values. */
export const mcpServersFromJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
      return z.NEVER;
    }
  })
  .pipe(mcpServersSchema);

/** Whether a server is reached over stdio (spawned by the worker). */
export function isStdioServer(
  server: McpServerSettings,
): server is z.output<typeof stdioServerSchema> {
  return 'command' in server;
}

/**
 * The name the model sees for a server's tool: `<server>__<tool>`, in Anthropic's charset
 * `^[a-zA-Z0-9_-]{1,64}$` (other characters become `_`, a long name is cut).
 */
export function mcpToolName(server: string, tool: string): string {
  const safe = tool.replace(/[^a-zA-Z0-9_-]/g, '_');
  return `${server}${MCP_NAME_SEPARATOR}${safe}`.slice(0, TOOL_NAME_MAX);
}

/** Whether `name` is the namespaced name of a tool of one of `servers` (for name-keyed settings). */
export function isMcpToolName(name: string, servers: readonly McpServerSettings[]): boolean {
  return servers.some((server) => name.startsWith(`${server.name}${MCP_NAME_SEPARATOR}`));
}

/**
 * Activity policies of MCP tools that configure one (`toolPolicies`), keyed by namespaced name,
 * defaults filled in. The others use the job's default tool policy (TOOL_TIMEOUT_MS,
 * TOOL_MAX_ATTEMPTS), so the API needs no connection to the servers to fill a job's input.
 */
export function mcpToolPolicies(
  servers: readonly McpServerSettings[],
  defaults: ToolPolicy,
): Record<string, ToolPolicy> {
  const policies: Record<string, ToolPolicy> = {};
  for (const server of servers) {
    for (const [tool, policy] of Object.entries(server.toolPolicies ?? {})) {
      policies[mcpToolName(server.name, tool)] = { ...defaults, ...policy };
    }
  }
  return policies;
}
