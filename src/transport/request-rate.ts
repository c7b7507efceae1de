// What a connection may send per second: frames, and bytes. Two token buckets, each up to its
// rate at once (the byte bucket at least one largest frame) and refilled at its rate a second.
// O(1) and allocation-free per frame, since every frame passes through it. Bytes are counted
// because a frame costs in proportion to its size: refused or not, a megabyte of JSON takes a
// tenth of a second to parse and check, so a frame rate alone lets one client stall the server.

class TokenBucket {
  perSecond: number;
  private perMs: number;
  private capacity: number;
  private tokens: number;
  private lastMs: number;

  constructor(perSecond: number, capacity: number, nowMs: number) {
    this.perSecond = perSecond;
    this.perMs = perSecond / 1000;
    this.capacity = capacity;
    this.tokens = capacity;
    this.lastMs = nowMs;
  }

  refill(nowMs: number): void {
    const elapsed = nowMs - this.lastMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs);
      this.lastMs = nowMs;
    }
  }

  has(amount: number): boolean {
    return this.tokens >= amount;
  }

  take(amount: number): void {
    this.tokens -= amount;
  }

  /** A new rate from now on, with a full bucket. */
  reset(perSecond: number, capacity: number): void {
    this.perSecond = perSecond;
    this.perMs = perSecond / 1000;
    this.capacity = capacity;
    this.tokens = capacity;
  }
}

export interface Rates {
  framesPerSecond: number;
  bytesPerSecond: number;
  /** The largest frame the connection may send now: the byte bucket holds at least this. */
  largestFrameBytes: number;
}

export class RequestRate {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(rates: Rates, nowMs: number) {
    this.frames = new TokenBucket(rates.framesPerSecond, rates.framesPerSecond, nowMs);
    this.bytes = new TokenBucket(rates.bytesPerSecond, Math.max(rates.bytesPerSecond, rates.largestFrameBytes), nowMs);
  }

  get framesPerSecond(): number {
    return this.frames.perSecond;
  }

  get bytesPerSecond(): number {
    return this.bytes.perSecond;
  }

  /** Takes one frame of `frameBytes`; which bucket refused it, or null when it may be read. */
  take(nowMs: number, frameBytes: number): 'frames' | 'bytes' | null {
    this.frames.refill(nowMs);
    this.bytes.refill(nowMs);
    if (!this.frames.has(1)) return 'frames';
    if (!this.bytes.has(frameBytes)) return 'bytes';
    this.frames.take(1);
    this.bytes.take(frameBytes);
    return null;
  }

  /** Takes `bytes` more for a frame already counted (a body whose length was learnt only by reading it); false when over. */
  takeBytes(nowMs: number, bytes: number): boolean {
    this.bytes.refill(nowMs);
    if (!this.bytes.has(bytes)) return false;
    this.bytes.take(bytes);
    return true;
  }

  /**
   * New rates from now on, with full buckets: at registration the connection starts afresh with
   * its client type's rates (what it spent before came from the smaller unregistered buckets).
   */
  setRates(rates: Rates): void {
    this.frames.reset(rates.framesPerSecond, rates.framesPerSecond);
    this.bytes.reset(rates.bytesPerSecond, Math.max(rates.bytesPerSecond, rates.largestFrameBytes));
  }
}
