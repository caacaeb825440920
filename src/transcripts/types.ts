/** A tool's full output, as the model receives it. */
export interface StoredToolOutput {
  output: string;
  isError: boolean;
}

/**
 * Where agent transcripts live when a job passes them by reference. Every write is
 * insert-if-absent and returns what is stored, so an activity retry, a replay or a late attempt
 * never duplicates, reorders or changes a message: the first writer of a key wins.
 *
 * Entries are numbered by model call: entry `n` holds the messages model call `n` appended
 * before calling the model (call 0: the job's first messages; later calls: the previous reply
 * and its tool results), as one JSON text kept byte for byte (prompt caching needs the exact
 * bytes of the prefix).
 */
export interface TranscriptStore {
  readonly kind: 'file' | 'postgres';
  /** Stores entry `seq` of `jobId` unless present; returns the stored JSON text. */
  putEntry(jobId: string, seq: number, json: string): Promise<string>;
  /** Entries `0..count-1` of `jobId`, in order; stops at the first one missing. */
  entries(jobId: string, count: number): Promise<string[]>;
  /** Stores a tool call's output unless present; returns the stored one. */
  putToolOutput(
    jobId: string,
    toolUseId: string,
    output: StoredToolOutput,
  ): Promise<StoredToolOutput>;
  /** Stored outputs of these tool calls (missing ones are absent from the map). */
  toolOutputs(jobId: string, toolUseIds: string[]): Promise<Map<string, StoredToolOutput>>;
  close(): Promise<void>;
}
