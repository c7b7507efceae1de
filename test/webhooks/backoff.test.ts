// The wait before a failed POST is retried: full jitter under an exponential ceiling, capped.

import { describe, expect, test } from 'vitest';
import { retryDelayMs } from '../../src/webhooks/backoff.js';

describe('retryDelayMs', () => {
  test('the ceiling doubles from the initial delay with each failure, up to the maximum', () => {
    const highest = () => 1 - Number.EPSILON;
    // The wait is below the ceiling, by less than a millisecond at the top of the random range.
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((failures) => retryDelayMs(failures, 1000, 60_000, highest) + 1)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    expect(retryDelayMs(10_000, 1000, 60_000, highest)).toBeLessThan(60_000);
  });

  test('the wait is anywhere from 0 to the ceiling (full jitter)', () => {
    expect(retryDelayMs(3, 1000, 60_000, () => 0)).toBe(0);
    expect(retryDelayMs(3, 1000, 60_000, () => 0.5)).toBe(2000);
    const waits = Array.from({ length: 1000 }, () => retryDelayMs(4, 100, 60_000));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(800);
    // Spread out, not bunched: the middle half of the range holds about half the waits.
    expect(waits.filter((wait) => wait >= 200 && wait < 600).length).toBeGreaterThan(400);
  });
});
