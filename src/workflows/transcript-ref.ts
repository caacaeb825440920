/**
 * The agent loop's transcript by reference (input field `transcript: {store: 'ref'}`): instead
 * of sending the whole transcript with every model call — so the history holds it once per call
 * and a long run outgrows Temporal's limits — each model call is told only what it appends, and
 * loads the rest from the transcript store (src/transcripts). Tool outputs are written there by
 * the tool activity, which returns a preview; the job's state keeps previews.
 */
import type {
  AgentContentBlock,
  AgentJobInput,
  AgentMessage,
  AgentStep,
  ToolCallStep,
  TranscriptAppend,
} from '../shared';
import { transcriptPreview } from '../shared';

/** What the workflow remembers of a transcript kept by reference: the next call's append. */
export interface TranscriptRef {
  /** The `transcript` field of the next model call's input. */
  next(): TranscriptAppend;
  /** Records the reply and its tool results: the next call appends them. */
  answered(reply: AgentContentBlock[], steps: ToolCallStep[]): void;
}

/** A transcript by reference when the job asks for one, else undefined (inline messages). */
export function transcriptRef(
  input: AgentJobInput,
  seed: AgentMessage[],
): TranscriptRef | undefined {
  if (input.transcript?.store !== 'ref') return undefined;
  let append: TranscriptAppend = { seed };
  return {
    next: () => append,
    answered(reply, steps) {
      append = {
        reply,
        // An output shown whole is sent as is (a failed tool's error message exists only here);
        // a preview's full output is read from the store.
        results: steps.map((s) => ({
          toolUseId: s.toolUseId,
          isError: s.isError,
          ...(s.truncated ? {} : { output: s.output }),
        })),
      };
    },
  };
}

/**
 * Cuts the text of the last (model-call) step to a preview, as a job by reference keeps it: the
 * full text of a step is in the store's transcript, and the final answer in `response`.
 */
export function boundLastModelStep(steps: AgentStep[]): void {
  const step = steps[steps.length - 1];
  if (step?.type !== 'model_call') return;
  const preview = transcriptPreview(step.text);
  if (!preview.truncated) return;
  step.text = preview.text;
  step.textChars = preview.chars;
  step.truncated = true;
}
