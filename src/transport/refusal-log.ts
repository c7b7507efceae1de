// Log lines for refused connections that help without flooding: the first refusal of each kind is
// logged with its address, and while refusals go on, one line every interval says how many there
// were of each kind and from how many addresses. A flood of 20,000 sockets so gives a handful of
// lines, and a single refusal is never missed.

import type { Logger } from 'pino';

const summaryIntervalMs = 10_000;

export class RefusalLog {
  private readonly logger: Logger;
  private readonly describe: (kind: string) => Record<string, unknown>;
  private counts = new Map<string, number>();
  private addresses = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  /** `describe` gives the settings behind a kind of refusal, for the log line. */
  constructor(logger: Logger, describe: (kind: string) => Record<string, unknown>) {
    this.logger = logger;
    this.describe = describe;
  }

  refused(kind: string, address: string): void {
    if (this.timer === null) {
      this.logger.warn({ refusal: kind, address, ...this.describe(kind) }, 'connection refused');
      this.timer = setTimeout(() => this.summarise(), summaryIntervalMs);
      this.timer.unref();
      return;
    }
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    // Bounded, so that the log's own bookkeeping cannot be flooded.
    if (this.addresses.size < 10_000) this.addresses.add(address);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private summarise(): void {
    this.timer = null;
    if (this.counts.size === 0) return;
    this.logger.warn({ refusals: Object.fromEntries(this.counts), addresses: this.addresses.size, seconds: summaryIntervalMs / 1000 }, 'connections refused meanwhile');
    this.counts = new Map();
    this.addresses = new Set();
    // Refusals still coming keep the summary going; the next refusal after a quiet interval is logged in full.
    this.timer = setTimeout(() => this.summarise(), summaryIntervalMs);
    this.timer.unref();
  }
}
