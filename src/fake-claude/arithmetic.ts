/**
 * The fake model's only "intelligence": it can do one binary arithmetic operation, so tests can
 * check that a question really reached the model and the answer really came back.
 */

/** A binary arithmetic expression found in text. */
export interface Arithmetic {
  /** Normalised expression, e.g. `25 * 17`. */
  expression: string;
  /** Result as text (`425`, `0.333333333333`), or undefined for a division by zero. */
  result: string | undefined;
}

// Numbers may be signed and decimal; `x`/`×`/`÷` are accepted because people write them.
const EXPRESSION = /(-?\d+(?:\.\d+)?)\s*([+\-*/x×÷])\s*(-?\d+(?:\.\d+)?)/;
const INTEGER = /^-?\d+$/;

/** Find the first `a op b` in `text`. */
export function findArithmetic(text: string): Arithmetic | undefined {
  const match = EXPRESSION.exec(text);
  if (!match) return undefined;
  const [, a = '', op = '', b = ''] = match;
  return { expression: `${a} ${op} ${b}`, result: evaluate(a, op, b) };
}

function evaluate(a: string, op: string, b: string): string | undefined {
  // Integers go through BigInt so `123456789 * 987654321` is exact, as a test would expect.
  if (INTEGER.test(a) && INTEGER.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    switch (op) {
      case '+':
        return String(x + y);
      case '-':
        return String(x - y);
      case '*':
      case 'x':
      case '×':
        return String(x * y);
      default:
        if (y === 0n) return undefined;
        if (x % y === 0n) return String(x / y);
    }
  }
  const x = Number(a);
  const y = Number(b);
  let r: number;
  switch (op) {
    case '+':
      r = x + y;
      break;
    case '-':
      r = x - y;
      break;
    case '*':
    case 'x':
    case '×':
      r = x * y;
      break;
    default:
      if (y === 0) return undefined;
      r = x / y;
  }
  // Twelve significant digits hide binary floating-point noise (0.1 + 0.2 = 0.3).
  return String(Number(r.toPrecision(12)));
}
