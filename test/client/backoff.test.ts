// The wait between connection attempts: exponential with full jitter above the floor, capped,
// and the URL ring the attempts go round.

import { describe, expect, it } from 'vitest';
import { backoffDelayMs, UrlRing } from '../../src/client/backoff.js';

const settings = { backoffMinMs: 250, backoffMaxMs: 30_000 };

describe('backoffDelayMs', () => {
  it('spans [min, min × 2^(failures+1)] up to the maximum', () => {
    const lowest = [0, 1, 2, 3, 10].map((failures) => backoffDelayMs(failures, settings, () => 0));
    const highest = [0, 1, 2, 3, 6, 7, 10, 2000].map((failures) => backoffDelayMs(failures, settings, () => 1));
    expect(lowest).toEqual([250, 250, 250, 250, 250]);
    expect(highest).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000, 30_000]);
    expect(backoffDelayMs(2, settings, () => 0.5)).toBe(1125);
  });

  it('spreads clients over the whole window: no two of a thousand clients wait the same', () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelayMs(4, settings));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000);
    expect(new Set(delays).size).toBe(1000);
  });
});

describe('UrlRing', () => {
  it('goes round the URLs in order', () => {
    const ring = new UrlRing(['a', 'b', 'c']);
    const seen = [ring.current()];
    for (let step = 0; step < 4; step++) {
      ring.advance();
      seen.push(ring.current());
    }
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(() => new UrlRing([])).toThrow(/at least one/);
  });
});
