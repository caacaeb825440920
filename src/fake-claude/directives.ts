/**
 * In-band directives: `[[fake key=value key2="quoted value"]]` inside the last user message lets a
 * test (or a demo user) steer one request without reconfiguring the server.
 */
import { type FailureStep, parseFailureScript } from './failure-script';

/** Per-request overrides parsed from directives. */
export interface FakeDirective {
  latencyMs?: number;
  ttftMs?: number;
  tps?: number;
  reply?: string;
  fail?: FailureStep[];
  key?: string;
  /** Ask for this tool (whatever tools the request offers), to test unknown tools. */
  tool?: string;
  /** Arguments of the forced tool call: a JSON object (to test invalid arguments). */
  toolInput?: Record<string, unknown>;
  /**
   * With `tool=`: ask for the tool this many times in a row, one call per model call (a long
   * agent run), before answering. The directive stays in the first message and is read there.
   */
  toolCalls?: number;
}

/** Result of {@link extractDirectives}. */
export interface ExtractedDirectives {
  /** Merged overrides (a later directive wins over an earlier one). */
  directive: FakeDirective;
  /** The input with every directive removed. */
  text: string;
  /** Whether any directive was found. */
  found: boolean;
}

/** Thrown for a malformed directive; the server turns it into a 400 `invalid_request_error`. */
export class DirectiveError extends Error {}

const OPEN = '[[fake';
const CLOSE = ']]';

/**
 * Find, parse and strip every `[[fake ...]]` directive in `text`.
 *
 * @throws DirectiveError for an unterminated directive, unknown key or invalid value.
 */
export function extractDirectives(text: string): ExtractedDirectives {
  // Fast path: almost every production request has no directive.
  if (!text.includes(OPEN)) return { directive: {}, text, found: false };

  const directive: FakeDirective = {};
  let rest = '';
  let cursor = 0;
  for (;;) {
    const start = text.indexOf(OPEN, cursor);
    if (start < 0) break;
    const next = text[start + OPEN.length];
    // `[[fakery]]` is ordinary text, not a directive.
    if (next !== undefined && !/[\s\]]/.test(next)) {
      rest += text.slice(cursor, start + OPEN.length);
      cursor = start + OPEN.length;
      continue;
    }
    const end = parseBody(text, start + OPEN.length, directive);
    rest = joinAround(rest + text.slice(cursor, start));
    cursor = end;
    rest = spliceSpace(rest, text.slice(cursor));
  }
  rest += text.slice(cursor);
  return { directive, text: rest.trim(), found: true };
}

/** Drop trailing horizontal whitespace before a removed directive. */
function joinAround(before: string): string {
  return before.replace(/[ \t]+$/, '');
}

/** Keep exactly one space where a directive was removed between two words. */
function spliceSpace(before: string, after: string): string {
  if (before === '' || /\s$/.test(before) || after === '' || /^\s/.test(after)) return before;
  return before + ' ';
}

/** Parse `key=value` pairs from `pos` up to the closing `]]`; returns the index after it. */
function parseBody(text: string, pos: number, into: FakeDirective): number {
  let i = pos;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (text.startsWith(CLOSE, i)) return i + CLOSE.length;
    if (i >= text.length) throw new DirectiveError('unterminated [[fake ...]] directive');

    const keyMatch = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(text.slice(i, i + 64));
    if (!keyMatch?.[1]) {
      throw new DirectiveError(
        `malformed [[fake ...]] directive near ${JSON.stringify(text.slice(i, i + 20))}: expected key=value`,
      );
    }
    const key = keyMatch[1];
    i += keyMatch[0].length;

    let value: string;
    if (text[i] === '"') {
      value = '';
      i++;
      for (;;) {
        const ch = text[i];
        if (ch === undefined) throw new DirectiveError(`unterminated quoted value for ${key}`);
        i++;
        if (ch === '"') break;
        if (ch === '\\' && i < text.length) {
          value += text[i];
          i++;
        } else {
          value += ch;
        }
      }
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i] ?? '') && !text.startsWith(CLOSE, i)) i++;
      value = text.slice(start, i);
    }
    applyPair(into, key, value);
  }
}

function applyPair(into: FakeDirective, key: string, value: string): void {
  switch (key) {
    case 'latency_ms':
      into.latencyMs = nonNegative(key, value);
      return;
    case 'ttft_ms':
      into.ttftMs = nonNegative(key, value);
      return;
    case 'tps':
      into.tps = nonNegative(key, value);
      return;
    case 'reply':
      into.reply = value;
      return;
    case 'key':
      if (value === '') throw new DirectiveError('directive key= must not be empty');
      into.key = value;
      return;
    case 'tool':
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
        throw new DirectiveError('directive tool= must be a tool name ([A-Za-z0-9_-], 1-64)');
      }
      into.tool = value;
      return;
    case 'tool_input': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw new DirectiveError(
          `directive tool_input= must be JSON, got ${JSON.stringify(value)}`,
        );
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new DirectiveError('directive tool_input= must be a JSON object');
      }
      into.toolInput = parsed as Record<string, unknown>;
      return;
    }
    case 'tool_calls': {
      const n = nonNegative(key, value);
      if (!Number.isInteger(n) || n < 1) {
        throw new DirectiveError('directive tool_calls= must be a positive integer');
      }
      into.toolCalls = n;
      return;
    }
    case 'fail':
      try {
        into.fail = parseFailureScript(value);
      } catch (err) {
        throw new DirectiveError(`directive fail=: ${(err as Error).message}`, { cause: err });
      }
      return;
    default:
      throw new DirectiveError(
        `unknown directive key ${JSON.stringify(key)} (expected latency_ms, ttft_ms, tps, reply, fail, key, tool, tool_input or tool_calls)`,
      );
  }
}

function nonNegative(key: string, value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new DirectiveError(
      `directive ${key}= must be a non-negative number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}
