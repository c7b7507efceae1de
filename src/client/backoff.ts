// How long to wait before the next connection attempt: exponential, with full jitter above a
// floor. The jitter spreads a floor of desktops that lost the same server over the whole window,
// so they do not all come back in the same millisecond; the floor keeps a server that accepts and
// drops at once from being called in a tight loop.

export interface BackoffSettings {
  /** The shortest wait, and the base of the doubling. */
  backoffMinMs: number;
  /** The longest wait. */
  backoffMaxMs: number;
}

/**
 * The wait before the next attempt after `failures` failed attempts in a row (0 after a session
 * that worked): uniform in [min, min(max, min × 2^(failures + 1))].
 */
export function backoffDelayMs(failures: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const { backoffMinMs: min, backoffMaxMs: max } = settings;
  const ceiling = Math.min(max, min * 2 ** Math.min(failures + 1, 52));
  return min + random() * Math.max(0, ceiling - min);
}

/** The server URLs in turn: after a failure or a drop the next one is tried first, so a dead server is failed over. */
export class UrlRing {
  private index = 0;

  constructor(private readonly urls: readonly string[]) {
    if (urls.length === 0) throw new TypeError('urls must name at least one server');
  }

  current(): string {
    return this.urls[this.index % this.urls.length]!;
  }

  advance(): void {
    this.index = (this.index + 1) % this.urls.length;
  }

  /** Makes a URL of the ring the next one; false when it is not one of them. */
  pointAt(url: string): boolean {
    const index = this.urls.indexOf(url);
    if (index === -1) return false;
    this.index = index;
    return true;
  }
}

/** The close code of a standby, or of a server that has just lost its lease (docs/protocol.md). */
export const notPrimaryCloseCode = 4503;

/** The primary a standby names in its close reason (`standby; primary at URL`), or null. */
export function primaryHint(code: number, reason: string): string | null {
  if (code !== notPrimaryCloseCode) return null;
  const match = /^standby; primary at (\S+)$/.exec(reason);
  return match === null ? null : match[1]!;
}
