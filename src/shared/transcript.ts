/**
 * Sandbox-safe types of agent transcripts passed by reference: the workflow keeps previews and
 * the transcript store (src/transcripts) keeps the messages the model is sent.
 */
import type { AgentContentBlock, AgentMessage } from './agent';

/** How an agent job keeps its transcript (the `transcript` field of its input). */
export interface TranscriptMode {
  store: 'ref';
}

/** Longest tool output or step text kept in the job's state (and history) by reference. */
export const TRANSCRIPT_PREVIEW_CHARS = 512;

/** A tool result of the previous model call, as the workflow knows it. */
export interface TranscriptToolResult {
  toolUseId: string;
  isError: boolean;
  /**
   * The output itself, only when the workflow made it (a tool whose activity failed): otherwise
   * the tool activity wrote the full output to the store and the model call reads it there.
   */
  output?: string;
}

/**
 * What a model call by reference appends to the stored transcript before calling the model:
 * call 0 the job's first messages, later calls the previous reply and its tool results.
 */
export type TranscriptAppend =
  { seed: AgentMessage[] } | { reply: AgentContentBlock[]; results: TranscriptToolResult[] };

/** `text` cut to {@link TRANSCRIPT_PREVIEW_CHARS}, with the full length when it was cut. */
export function transcriptPreview(text: string): {
  text: string;
  chars?: number;
  truncated?: true;
} {
  if (text.length <= TRANSCRIPT_PREVIEW_CHARS) return { text };
  return {
    text: `${text.slice(0, TRANSCRIPT_PREVIEW_CHARS)}…`,
    chars: text.length,
    truncated: true,
  };
}
