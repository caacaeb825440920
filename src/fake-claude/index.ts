/**
 * Fake Anthropic Messages API: a test double driven by the real `@anthropic-ai/sdk` via `baseURL`,
 * and the model behind `npm start` when no API key is configured.
 */
export { startFakeClaude } from './server';
export { fakeClaudeOptionsFromEnv } from './env';
export type {
  FakeCall,
  FakeCallOutcome,
  FakeClaudeListenOptions,
  FakeClaudeOptions,
  FakeClaudeServer,
  FakeFaultRates,
} from './types';
