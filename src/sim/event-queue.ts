// The simulator's future events: the core's deadline heap, ordered by time, then by the order they
// were scheduled, so events at the same instant run first come first served and a run is repeatable.

import { DeadlineHeap } from '../core/deadline-heap.js';

interface Entry<Event> {
  readonly at: number;
  readonly order: number;
  readonly event: Event;
}

export class EventQueue<Event> {
  private readonly heap = new DeadlineHeap<Entry<Event>>((a, b) => a.at < b.at || (a.at === b.at && a.order < b.order));
  private scheduled = 0;

  get size(): number {
    return this.heap.size;
  }

  schedule(at: number, event: Event): void {
    this.heap.push({ at, order: ++this.scheduled, event });
  }

  /** The time of the next event, or Infinity when none is scheduled. */
  nextTime(): number {
    return this.heap.peek()?.at ?? Infinity;
  }

  pop(): { at: number; event: Event } | undefined {
    const top = this.heap.pop();
    return top === undefined ? undefined : { at: top.at, event: top.event };
  }
}
