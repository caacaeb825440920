import type Anthropic from '@anthropic-ai/sdk';
import { CancelledFailure } from '@temporalio/activity';
import type { TokenUsage } from '../shared';
import { estimateInputTokens } from './token-estimate';
import type { TokenRateLimiter, TokenReservation } from './token-rate-limiter';

/** One call's dealings with the worker's token limiter (all no-ops without a limiter). */
export interface TokenLimitedCall {
  /** Waits for the call's estimated tokens (cancellable); resolves when it may be sent. */
  acquire(): Promise<void>;
  /** After a reply: correct the reservation with real usage, then learn from the headers. */
  succeeded(usage: TokenUsage, headers: Pick<Headers, 'get'> | undefined): void;
  /** After an error: a 429 used nothing (and its headers teach); others keep the input. */
  failed(err: unknown): void;
}

/** Binds one model call to the limiter (see token-rate-limiter.ts). */
export function tokenLimitedCall(
  limiter: TokenRateLimiter | undefined,
  params: Anthropic.MessageStreamParams,
  signal: AbortSignal,
): TokenLimitedCall {
  let reservation: TokenReservation | undefined;
  return {
    async acquire() {
      if (!limiter) return;
      try {
        reservation = await limiter.acquire(
          params.model,
          estimateInputTokens(params),
          params.max_tokens,
          signal,
        );
      } catch (err) {
        if (signal.aborted) throw new CancelledFailure('Model call cancelled');
        throw err;
      }
    },
    succeeded(usage, headers) {
      if (!limiter || !reservation) return;
      limiter.settle(reservation, {
        input: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0),
        output: usage.output_tokens,
      });
      limiter.learn(reservation.model, headers);
      reservation = undefined; // settled once, even if usage recording then fails the attempt
    },
    failed(err) {
      if (!limiter || !reservation) return;
      const { status, headers } = err as { status?: unknown; headers?: Pick<Headers, 'get'> };
      if (status === 429) {
        limiter.settle(reservation, { input: 0, output: 0 });
        limiter.learn(reservation.model, typeof headers?.get === 'function' ? headers : undefined);
      } else {
        limiter.settle(reservation, { input: reservation.input, output: 0 });
      }
    },
  };
}
