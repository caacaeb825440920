/** Turns an MCP `tools/call` result into the text of a `tool_result` block. */

/** One item of an MCP tool result's `content` (only the fields we read). */
export interface McpContentItem {
  type: string;
  text?: string;
  mimeType?: string;
  resource?: { uri?: string; text?: string; mimeType?: string };
  uri?: string;
  name?: string;
}

/**
 * Text items verbatim; other items (images, audio, resources, links) as a one-line description,
 * so the model knows something was returned without a base64 blob filling its context. Items
 * are joined by newlines; the tool activity bounds the length of the whole (run-tool.ts).
 */
export function mcpContentToText(content: readonly McpContentItem[]): string {
  return content
    .map((item) => {
      switch (item.type) {
        case 'text':
          return item.text ?? '';
        case 'resource':
          return item.resource?.text ?? `[resource ${item.resource?.uri ?? ''}]`.trim();
        case 'resource_link':
          return `[resource link ${item.uri ?? item.name ?? ''}]`;
        default:
          return `[${item.type}${item.mimeType ? ` ${item.mimeType}` : ''} content omitted]`;
      }
    })
    .join('\n');
}
