/**
 * Public types of the fake Anthropic Messages API server.
 *
 * The fake is both a test double (driven by the real `@anthropic-ai/sdk` through `baseURL`) and
 * the model used by `npm start` when no `ANTHROPIC_API_KEY` is configured.
 */

import type { FakeRateLimits } from './rate-limits';

/** Random fault probabilities (each 0..1), drawn from a seeded PRNG so chaos runs are repeatable. */
export interface FakeFaultRates {
  /** Probability of a 429 `rate_limit_error`. */
  rateLimited?: number;
  /** Probability of a 529 `overloaded_error`. */
  overloaded?: number;
  /** Probability of a 500 `api_error`. */
  serverError?: number;
  /** Probability of a connection reset. */
  reset?: number;
  /** `retry-after` seconds sent with random 429/529 faults (429 defaults to 1, 529 to none). */
  retryAfterS?: number;
}

/** Behaviour of a fake server; every field can be overridden per request by a `[[fake ...]]` directive. */
export interface FakeClaudeOptions {
  /** Delay before the response starts (non-streaming: before the whole body; streaming: before message_start). Default 0. */
  latencyMs?: number;
  /** Streaming: extra delay between message_start and the first text delta. Default 0. */
  ttftMs?: number;
  /** Pace of output tokens; 0 or undefined means as fast as possible. Non-streaming responses wait tokens/tps too. */
  tokensPerSecond?: number;
  /** If set, every text reply is exactly this. */
  fixedReply?: string;
  /** Failure script applied per conversation key (same syntax as the `fail=` directive). */
  failures?: string;
  /** Random faults for chaos tests, applied to attempts that have no scripted step. */
  faultRates?: FakeFaultRates;
  /** PRNG seed for {@link FakeClaudeOptions.faultRates}. Default 1. */
  seed?: number;
  /** Default true: answer 401 `authentication_error` without `x-api-key` or `Authorization: Bearer`. */
  requireApiKey?: boolean;
  /** Ring buffer size of the call log. Default 100000. */
  maxCallLog?: number;
  /** Record a digest of each request body in the call log (`request`). Default false. */
  recordRequests?: boolean;
  /**
   * Per-minute request / input-token / output-token limits with `anthropic-ratelimit-*` headers
   * and 429s, as the real API enforces them (src/fake-claude/rate-limits.ts). Default: none.
   */
  rateLimits?: FakeRateLimits;
}

/** Digest of one request body (recorded with `recordRequests`). */
export interface FakeRequestDigest {
  /** sha256 (hex) of the raw body: equal digests mean byte-identical requests. */
  sha256: string;
  bytes: number;
  /** `cache_control` markers in the body (prompt-cache breakpoints). */
  cacheControls: number;
  /** Messages in the request. */
  messages: number;
}

/** What the fake did with one `POST /v1/messages` request. */
export type FakeCallOutcome =
  | 'ok'
  | 'tool_use'
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'reset'
  | 'hang'
  | 'bad_request'
  | 'unauthorized';

/** One entry of the call log. */
export interface FakeCall {
  /** Conversation key (sha256 prefix of system+messages, or the `key=` directive). Empty if the body was unreadable. */
  key: string;
  /** 1-based attempt number for this key; 0 when the request was rejected before a key was counted. */
  attempt: number;
  /** ISO timestamp of arrival. */
  at: string;
  /** Whether the request asked for a stream. */
  stream: boolean;
  /** What the fake decided to do. */
  outcome: FakeCallOutcome;
  /** True once a full successful response was written. */
  completed: boolean;
  /** True if the connection closed before the response was complete (client went away). */
  aborted: boolean;
  /** Approximate input tokens (words in system + messages, min 1). */
  inputTokens: number;
  /** Output tokens reported to the client (0 for failures). */
  outputTokens: number;
  /** Model named in the request. */
  model: string;
  /** Text of the last user message with directives stripped. */
  lastUserText: string;
  /** Names of the tools the request offered (absent when it offered none). */
  tools?: string[];
  /** HTTP status sent (0 when no status was sent: reset, hang, or aborted before the headers). */
  status: number;
  /** The request's digest, when the server records them. */
  request?: FakeRequestDigest;
}

/** A running fake server. */
export interface FakeClaudeServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`: pass it as the SDK's `baseURL`. */
  readonly url: string;
  /** Port actually bound. */
  readonly port: number;
  /** Copy of the call log, oldest first. */
  calls(): FakeCall[];
  /** Calls made with one conversation key, oldest first. */
  callsForKey(key: string): FakeCall[];
  /** Calls whose `lastUserText` includes `text`. */
  callsMatching(text: string): FakeCall[];
  /** Clear the call log and the attempt counters (and re-seed the fault PRNG). */
  reset(): void;
  /** Stop listening and destroy every open socket, including hanging requests. */
  close(): Promise<void>;
}

/** Where {@link startFakeClaude} listens. */
export interface FakeClaudeListenOptions {
  /** Port; 0 (the default) picks an ephemeral port. */
  port?: number;
  /** Host; default `127.0.0.1`. */
  host?: string;
}
