/**
 * The documented example of a pluggable tool. Copy this file to add your own:
 *
 * - `name` is what the model calls; keep it snake_case and stable (renaming breaks transcripts).
 * - `description` is the model's only guide to when the tool helps: say what it does and when.
 * - `inputSchema` is a zod schema. It is sent to the model as JSON Schema, and every call is
 *   validated against it before `run`: a call with bad arguments becomes an `is_error` result
 *   naming the field, and `run` never sees it.
 * - `policy` sets the tool's own activity timeout and attempts (defaults: TOOL_TIMEOUT_MS,
 *   TOOL_MAX_ATTEMPTS).
 * - `run` gets the parsed input and a context with an AbortSignal. Return the text the model
 *   reads. Throw `ToolInputError` for problems the model should hear about; other errors are
 *   retried, then reported to the model.
 *
 * Then register it in `DEFAULT_TOOLS` (registry.ts). Tools run on the activity workers, so a tool
 * doing I/O (HTTP, databases) scales with that fleet and is retried by Temporal.
 */
import { z } from 'zod';
import { defineTool } from './types';

/** Counts words, characters and lines of a text. */
export const wordCountTool = defineTool({
  name: 'word_count',
  description: 'Counts the words, characters and lines of a text exactly.',
  inputSchema: z.object({
    text: z.string().max(100_000).describe('The text to measure'),
  }),
  run({ text }) {
    const words = text.match(/\S+/g)?.length ?? 0;
    const lines = text === '' ? 0 : text.split(/\r\n|\r|\n/).length;
    return JSON.stringify({ words, characters: [...text].length, lines });
  },
});
