/**
 * Exact rational arithmetic over BigInt for the calculator tool: no floating point and no
 * `eval`. A small recursive-descent parser reads the expression; every value is a reduced
 * fraction, so `0.1 + 0.2` is exactly `0.3` and `123456789 * 987654321` is exact.
 */

/** A reduced fraction; `den` is always positive. */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** Why an expression could not be evaluated (reported to the model). */
export class ArithmeticError extends Error {}

/** Longest expression accepted. */
const MAX_LENGTH = 500;
/** Largest exponent accepted, so `9^9^9` cannot exhaust memory. */
const MAX_EXPONENT = 10_000n;
/** Largest operand size in bits, for the same reason. */
const MAX_BITS = 100_000;
/** Fractional digits shown for a value with no finite decimal expansion. */
const REPEATING_DIGITS = 30;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function make(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new ArithmeticError('division by zero');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den) || 1n;
  const r = { num: num / g, den: den / g };
  if (r.num.toString(2).length > MAX_BITS || r.den.toString(2).length > MAX_BITS) {
    throw new ArithmeticError('result too large');
  }
  return r;
}

const add = (a: Rational, b: Rational) => make(a.num * b.den + b.num * a.den, a.den * b.den);
const sub = (a: Rational, b: Rational) => make(a.num * b.den - b.num * a.den, a.den * b.den);
const mul = (a: Rational, b: Rational) => make(a.num * b.num, a.den * b.den);
const div = (a: Rational, b: Rational) => make(a.num * b.den, a.den * b.num);

function mod(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new ArithmeticError('modulo by zero');
  // a - b * trunc(a / b), exactly.
  const q = div(a, b);
  return sub(a, mul(b, make(q.num / q.den, 1n)));
}

function pow(base: Rational, exp: Rational): Rational {
  if (exp.den !== 1n) throw new ArithmeticError('exponents must be integers');
  const e = exp.num < 0n ? -exp.num : exp.num;
  if (e > MAX_EXPONENT) throw new ArithmeticError(`exponent larger than ${MAX_EXPONENT}`);
  if (base.num === 0n && exp.num < 0n) throw new ArithmeticError('division by zero');
  const r = make(base.num ** e, base.den ** e);
  return exp.num < 0n ? make(r.den, r.num) : r;
}

/** Parses a decimal literal like `12`, `0.5` or `1.25e3` exactly. */
function parseNumber(text: string): Rational {
  const match = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) {
    throw new ArithmeticError(`invalid number "${text}"`);
  }
  const whole = match[1] ?? '';
  const frac = match[2] ?? '';
  const exp = BigInt(match[3] ?? '0');
  if (exp > MAX_EXPONENT || exp < -MAX_EXPONENT) throw new ArithmeticError('exponent too large');
  let r = make(BigInt(`${whole}${frac}` || '0'), 10n ** BigInt(frac.length));
  if (exp !== 0n) r = mul(r, pow({ num: 10n, den: 1n }, { num: exp, den: 1n }));
  return r;
}

type Token = { kind: 'num'; value: Rational; text: string } | { kind: 'op'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.)|(\*\*|[-+*/%^()×÷x]))/y;
  let pos = 0;
  const source = expression.trim();
  while (pos < source.length) {
    re.lastIndex = pos;
    const match = re.exec(source);
    if (!match) throw new ArithmeticError(`unexpected "${source.slice(pos, pos + 10)}"`);
    pos = re.lastIndex;
    if (match[1] !== undefined)
      tokens.push({ kind: 'num', value: parseNumber(match[1]), text: match[1] });
    else if (match[2] !== undefined) {
      // People write × ÷ x and ** too; normalise them.
      const op = { '×': '*', x: '*', '÷': '/', '**': '^' }[match[2]] ?? match[2];
      tokens.push({ kind: 'op', value: op });
    }
  }
  return tokens;
}

/**
 * Evaluates `expression` exactly: `+ - * / % ^` (also `× ÷ x **`), parentheses, unary minus,
 * decimals and scientific notation. Precedence: `^` (right-associative) > unary minus >
 * `* / %` > `+ -`.
 *
 * @throws ArithmeticError for syntax errors, division by zero, or results too large.
 */
export function evaluateExact(expression: string): Rational {
  if (expression.length > MAX_LENGTH) {
    throw new ArithmeticError(`expression longer than ${MAX_LENGTH} characters`);
  }
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (value: string): boolean => {
    const t = peek();
    return t?.kind === 'op' && t.value === value;
  };

  function expr(): Rational {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[i++] as Token).value;
      const right = term();
      left = op === '+' ? add(left, right) : sub(left, right);
    }
    return left;
  }
  function term(): Rational {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = (tokens[i++] as Token).value;
      const right = unary();
      left = op === '*' ? mul(left, right) : op === '/' ? div(left, right) : mod(left, right);
    }
    return left;
  }
  function unary(): Rational {
    if (isOp('-')) {
      i++;
      const v = unary();
      return make(-v.num, v.den);
    }
    if (isOp('+')) {
      i++;
      return unary();
    }
    return power();
  }
  function power(): Rational {
    const base = primary();
    if (isOp('^')) {
      i++;
      return pow(base, unary());
    }
    return base;
  }
  function primary(): Rational {
    const t = tokens[i++];
    if (!t) throw new ArithmeticError('unexpected end of expression');
    if (t.kind === 'num') return t.value;
    if (t.value === '(') {
      const v = expr();
      if (!isOp(')')) throw new ArithmeticError('missing ")"');
      i++;
      return v;
    }
    throw new ArithmeticError(`unexpected "${t.value}"`);
  }

  if (tokens.length === 0) throw new ArithmeticError('empty expression');
  const value = expr();
  if (i < tokens.length) {
    const t = tokens[i] as Token;
    throw new ArithmeticError(`unexpected "${t.kind === 'num' ? t.text : t.value}"`);
  }
  return value;
}

/** Whether `den` has only the prime factors 2 and 5 (a finite decimal expansion). */
function terminates(den: bigint): boolean {
  let d = den;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

/**
 * Decimal text of a value: exact when the expansion is finite (`425`, `0.3`, `-1.25`);
 * otherwise the fraction and a rounded decimal (`1/3 ≈ 0.333…`), so the model never mistakes a
 * rounded value for an exact one.
 */
export function formatRational(r: Rational): string {
  const negative = r.num < 0n;
  const abs = negative ? -r.num : r.num;
  const sign = negative ? '-' : '';
  if (r.den === 1n) return `${sign}${abs}`;
  const whole = abs / r.den;
  let rest = abs % r.den;
  let digits = '';
  const finite = terminates(r.den);
  const limit = finite ? Infinity : REPEATING_DIGITS + 1;
  while (rest !== 0n && digits.length < limit) {
    rest *= 10n;
    digits += String(rest / r.den);
    rest %= r.den;
  }
  if (finite) return `${sign}${whole}.${digits}`;
  // Round half up on the extra digit.
  let scaled = BigInt(`${whole}${digits.slice(0, REPEATING_DIGITS)}`);
  if (Number(digits[REPEATING_DIGITS] ?? '0') >= 5) scaled += 1n;
  const text = scaled.toString().padStart(REPEATING_DIGITS + 1, '0');
  const rounded = `${text.slice(0, -REPEATING_DIGITS)}.${text.slice(-REPEATING_DIGITS)}`;
  return `${sign}${r.num < 0n ? -r.num : r.num}/${r.den} ≈ ${sign}${rounded}`;
}
