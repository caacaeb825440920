import { mcpContentToText } from './mcp-tool-output';
import { isMcpToolName, mcpServersSchema, mcpToolName, mcpToolPolicies } from './mcp-settings';

describe('mcpToolName', () => {
  it('namespaces a tool within Anthropic’s tool-name charset and length', () => {
    expect(mcpToolName('files', 'read_file')).toBe('files__read_file');
    expect(mcpToolName('files', 'fs.read/file')).toBe('files__fs_read_file');
    const long = mcpToolName('a-very-long-server', 'x'.repeat(100));
    expect(long).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(long.startsWith('a-very-long-server__')).toBe(true);
  });

  it('recognises the names of configured servers only', () => {
    const servers = mcpServersSchema.parse([{ name: 'files', command: 'node' }]);
    expect(isMcpToolName('files__read_file', servers)).toBe(true);
    expect(isMcpToolName('search__web', servers)).toBe(false);
    expect(isMcpToolName('calculator', servers)).toBe(false);
  });
});

describe('mcpToolPolicies', () => {
  it('fills configured tool policies with the defaults, keyed by namespaced name', () => {
    const servers = mcpServersSchema.parse([
      {
        name: 'web',
        url: 'https://mcp.example.com/mcp',
        toolPolicies: { fetch: { maxAttempts: 1 } },
      },
      { name: 'files', command: 'node' },
    ]);
    expect(mcpToolPolicies(servers, { timeoutMs: 10_000, maxAttempts: 3 })).toEqual({
      web__fetch: { timeoutMs: 10_000, maxAttempts: 1 },
    });
  });
});

describe('mcpContentToText', () => {
  it('joins text items and describes the others in one line each', () => {
    expect(
      mcpContentToText([
        { type: 'text', text: 'first' },
        { type: 'image', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inline' } },
        { type: 'resource', resource: { uri: 'file:///b.bin' } },
        { type: 'resource_link', uri: 'file:///c' },
        { type: 'text', text: 'last' },
      ]),
    ).toBe(
      [
        'first',
        '[image image/png content omitted]',
        'inline',
        '[resource file:///b.bin]',
        '[resource link file:///c]',
        'last',
      ].join('\n'),
    );
  });
});
