/**
 * A small MCP tool server over stdio, for the test suite and as a documented example of
 * `MCP_SERVERS` (docs/mcp-tools.md):
 *
 *   MCP_SERVERS='[{"name":"demo","command":"node","args":["dist/mcp/test-server.js"]}]'
 *
 * Tools: `reverse_text` (reverses a text), `fail_with` (answers an MCP error result) and
 * `slow_echo` (echoes after a delay, stopping early when the call is cancelled). With
 * MCP_TEST_LOG set, it appends one line per event (`pid <n>`, `started slow_echo <text>`,
 * `cancelled slow_echo <text>`) to that file, so a test can see what the server went through.
 */
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const logFile = process.env.MCP_TEST_LOG;

/** One line to the event log (when one is configured). */
function note(line: string): void {
  if (logFile) appendFileSync(logFile, `${line}\n`);
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

const server = new McpServer({ name: 'agent-fleet-test', version: '1.0.0' });

server.registerTool(
  'reverse_text',
  {
    description: 'Reverses a text, character by character.',
    inputSchema: { text: z.string().max(100_000).describe('The text to reverse') },
  },
  ({ text: input }) => text([...input].reverse().join('')),
);

server.registerTool(
  'fail_with',
  {
    description: 'Always fails, with the given message (to test error results).',
    inputSchema: { message: z.string().max(1_000) },
  },
  ({ message }) => ({ ...text(message), isError: true }),
);

server.registerTool(
  'slow_echo',
  {
    description: 'Echoes a text after waiting `ms` milliseconds; stops early if cancelled.',
    inputSchema: { text: z.string().max(1_000), ms: z.number().int().min(0).max(600_000) },
  },
  async ({ text: input, ms }, extra) => {
    note(`started slow_echo ${input}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        note(`cancelled slow_echo ${input}`);
        resolve();
      });
    });
    return text(input);
  },
);

note(`pid ${process.pid}`);
server.connect(new StdioServerTransport()).catch((err: unknown) => {
  process.stderr.write(`mcp-test-server: ${(err as Error).message}\n`);
  process.exit(1);
});
