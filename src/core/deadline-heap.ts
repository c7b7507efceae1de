// A binary min-heap of deadlines. Entries are hints: the owner re-checks each popped entry
// against the state, so a timer that was cancelled or pushed back needs no removal here
// (resetting a handling timer on every agent request must stay O(1)).

export interface Deadline {
  at: number;
  kind: 'delivering' | 'handling' | 'expiry' | 'scheduled' | 'wrapUp';
  /**
   * The ticket id for a delivering timer; the interaction id for a handling, expiry or scheduled
   * one; the agent id and media type joined by NUL for a wrap-up.
   */
  id: string;
}

/** Earlier first; entries due at the same time come out in no promised order. */
function byTime(a: { at: number }, b: { at: number }): boolean {
  return a.at < b.at;
}

export class DeadlineHeap<Entry extends { at: number } = Deadline> {
  private readonly heap: Entry[] = [];
  /** Whether a comes out before b. */
  private readonly before: (a: Entry, b: Entry) => boolean;

  constructor(before: (a: Entry, b: Entry) => boolean = byTime) {
    this.before = before;
  }

  get size(): number {
    return this.heap.length;
  }

  push(deadline: Entry): void {
    const heap = this.heap;
    heap.push(deadline);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (!this.before(deadline, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = deadline;
  }

  peek(): Entry | undefined {
    return this.heap[0];
  }

  pop(): Entry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
