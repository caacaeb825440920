import { z } from 'zod';
import { ArithmeticError, evaluateExact, formatRational } from './exact-arithmetic';
import { ToolInputError, defineTool } from './types';

/** Exact arithmetic for the model, which is unreliable at it. */
export const calculatorTool = defineTool({
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression exactly (arbitrary-precision integers and decimals). ' +
    'Supports + - * / % ^ and parentheses, e.g. "25 * 17" or "(1.5 + 2) ^ 3 / 7". ' +
    'Use it for any arithmetic instead of computing in your head.',
  inputSchema: z.object({
    expression: z.string().min(1).max(500).describe('The expression to evaluate'),
  }),
  policy: { timeoutMs: 5_000, maxAttempts: 2 },
  run({ expression }) {
    try {
      return formatRational(evaluateExact(expression));
    } catch (err) {
      if (err instanceof ArithmeticError) throw new ToolInputError(err.message);
      throw err;
    }
  },
});
