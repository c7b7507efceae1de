// One real timer for all the core's deadlines: it aims at the earliest one, and when it fires the
// core expires whatever is due, along the same path as a client request.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** setTimeout cannot wait longer than 2^31-1 ms; a later deadline is re-aimed when this one fires. */
const longestWaitMs = 2_147_483_647;

export class DeadlineScheduler {
  private timer: NodeJS.Timeout | null = null;
  private armedFor: number | undefined;
  private stopped = false;
  private readonly clock: Clock;
  private readonly nextDeadline: () => number | undefined;
  private readonly onDue: (now: number) => void;

  constructor(clock: Clock, nextDeadline: () => number | undefined, onDue: (now: number) => void) {
    this.clock = clock;
    this.nextDeadline = nextDeadline;
    this.onDue = onDue;
  }

  /** Re-aims the timer after the core's deadlines may have changed. Cheap when nothing moved. */
  refresh(): void {
    if (this.stopped) return;
    const next = this.nextDeadline();
    if (next === this.armedFor) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = next;
    if (next === undefined) return;
    const wait = Math.min(Math.max(0, next - this.clock.now()), longestWaitMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedFor = undefined;
      this.onDue(this.clock.now());
      this.refresh();
    }, wait);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
