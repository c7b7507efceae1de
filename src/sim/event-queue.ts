// The simulator's future events: a binary min-heap ordered by time, then by the order they were
// scheduled, so events at the same instant run first come first served and a run is repeatable.

interface Entry<Event> {
  readonly at: number;
  readonly order: number;
  readonly event: Event;
}

export class EventQueue<Event> {
  private readonly heap: Entry<Event>[] = [];
  private scheduled = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, event: Event): void {
    const entry: Entry<Event> = { at, order: ++this.scheduled, event };
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  /** The time of the next event, or Infinity when none is scheduled. */
  nextTime(): number {
    return this.heap[0]?.at ?? Infinity;
  }

  pop(): { at: number; event: Event } | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return { at: top.at, event: top.event };
  }
}

function before<Event>(a: Entry<Event>, b: Entry<Event>): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
