import { z } from 'zod';
import { ToolInputError, defineTool } from './types';

/** The current date and time: the model has no clock. */
export const currentTimeTool = defineTool({
  name: 'current_time',
  description:
    'Returns the current date and time as ISO-8601 UTC, and in the given IANA timezone ' +
    '(e.g. "Europe/Paris") when one is provided.',
  inputSchema: z.object({
    timezone: z.string().min(1).max(64).optional().describe('IANA timezone name'),
  }),
  policy: { timeoutMs: 2_000, maxAttempts: 2 },
  run({ timezone }) {
    const now = new Date();
    const utc = now.toISOString();
    if (timezone === undefined) return utc;
    let local: string;
    try {
      local = new Intl.DateTimeFormat('en-GB', {
        timeZone: timezone,
        dateStyle: 'full',
        timeStyle: 'long',
      }).format(now);
    } catch {
      throw new ToolInputError(`unknown timezone "${timezone}"`);
    }
    return `${utc} (${timezone}: ${local})`;
  },
});
