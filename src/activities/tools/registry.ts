import { z } from 'zod';
import type { ToolPolicy } from '../../shared';
import { calculatorTool } from './calculator';
import { currentTimeTool } from './current-time';
import type { AgentTool } from './types';
import { wordCountTool } from './word-count';

/** The tools that ship. Add yours here (see word-count.ts). */
export const DEFAULT_TOOLS: readonly AgentTool[] = [calculatorTool, currentTimeTool, wordCountTool];

/** A tool definition in the Messages API's shape. */
export interface ToolDefinitionParam {
  name: string;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

/** Lookup and model-facing definitions of a set of tools. */
export interface ToolRegistry {
  get(name: string): AgentTool | undefined;
  names(): string[];
  /** Definitions sent to the model, generated from each tool's zod schema. */
  definitions(): ToolDefinitionParam[];
  /** Each tool's activity policy, defaults filled in (the API puts them in the workflow input). */
  policies(defaults: ToolPolicy): Record<string, ToolPolicy>;
  /** Tools whose calls wait for a human decision by default (`requiresApproval`). */
  approvalDefaults(): string[];
}

/** Builds a registry; tool names must be unique. */
export function createToolRegistry(tools: readonly AgentTool[] = DEFAULT_TOOLS): ToolRegistry {
  const byName = new Map<string, AgentTool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`duplicate tool name ${tool.name}`);
    byName.set(tool.name, tool);
  }
  const definitions = tools.map((tool): ToolDefinitionParam => {
    if (tool.inputJsonSchema) {
      return { name: tool.name, description: tool.description, input_schema: tool.inputJsonSchema };
    }
    const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.inputSchema, { io: 'input' });
    return {
      name: tool.name,
      description: tool.description,
      input_schema: { ...schema, type: 'object' },
    };
  });
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
    definitions: () => definitions,
    policies: (defaults) =>
      Object.fromEntries(tools.map((tool) => [tool.name, { ...defaults, ...tool.policy }])),
    approvalDefaults: () => tools.filter((tool) => tool.requiresApproval).map((tool) => tool.name),
  };
}
