// The wait before a failed POST is tried again: exponential backoff with full jitter, a random wait
// between 0 and initial × 2^(failures − 1), capped at max. The randomness spreads out servers (and
// endpoints) that failed together, so a receiver that comes back is not hit by all of them at once.

export function retryDelayMs(failures: number, initialDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.floor(random() * ceiling);
}
