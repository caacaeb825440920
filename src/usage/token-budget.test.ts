import { secondsToUtcMidnight, utcDay } from './token-budget';

describe('daily token budget clock', () => {
  it('keys days by UTC date, whatever the local time zone', () => {
    expect(utcDay(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11-30');
    expect(utcDay(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12-01');
  });

  it('counts the seconds to the next UTC midnight, never less than one', () => {
    expect(secondsToUtcMidnight(new Date('2026-11-30T00:00:00.000Z'))).toBe(86_400);
    expect(secondsToUtcMidnight(new Date('2026-11-30T23:00:00.000Z'))).toBe(3_600);
    expect(secondsToUtcMidnight(new Date('2026-11-30T23:59:59.500Z'))).toBe(1);
    expect(secondsToUtcMidnight(new Date('2026-12-31T12:00:00.000Z'))).toBe(43_200);
  });
});
