// A token bucket per connection: up to `perSecond` frames at once, refilled at `perSecond` a
// second. O(1) and allocation-free per frame, since every frame passes through it.

export class RequestRate {
  perSecond: number;
  private perMs: number;
  private capacity: number;
  private tokens: number;
  private lastMs: number;

  constructor(perSecond: number, nowMs: number) {
    this.perSecond = perSecond;
    this.perMs = perSecond / 1000;
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.lastMs = nowMs;
  }

  /** Takes one frame's token; false when the connection is over its rate. */
  take(nowMs: number): boolean {
    const elapsed = nowMs - this.lastMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs);
      this.lastMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** A new rate from now on (after registration as an agent); the tokens left never grow by it. */
  setRate(perSecond: number): void {
    this.perSecond = perSecond;
    this.perMs = perSecond / 1000;
    this.capacity = perSecond;
    if (this.tokens > perSecond) this.tokens = perSecond;
  }
}
