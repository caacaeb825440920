import { FailureType } from '../shared';
import { overloadStateAfter } from './overload-fallback';

describe('overload streak between attempts', () => {
  const start = { overloadedStreak: 1, onFallback: false };

  it('extends the streak on a 529', () => {
    expect(overloadStateAfter(start, FailureType.ClaudeOverloaded)).toEqual({
      overloadedStreak: 2,
      onFallback: false,
    });
  });

  it.each([
    FailureType.ClaudeServerError,
    FailureType.ClaudeRateLimited,
    FailureType.ClaudeTransient,
  ])('ends the streak on another answer from Claude (%s)', (type) => {
    expect(overloadStateAfter(start, type).overloadedStreak).toBe(0);
  });

  it.each([
    FailureType.ClaudeConnection,
    FailureType.ClaudeTimeout,
    FailureType.WorkerShutdown,
    undefined,
  ])('leaves it as it was when Claude gave no answer (%s)', (type) => {
    expect(overloadStateAfter(start, type)).toEqual(start);
  });

  it('never leaves the fallback once on it', () => {
    const onFallback = { overloadedStreak: 0, onFallback: true };
    expect(overloadStateAfter(onFallback, FailureType.ClaudeServerError).onFallback).toBe(true);
  });
});
