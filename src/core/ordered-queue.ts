// The order of a queue or workbin: higher priority first, then earlier entry time, then
// earlier entry (a per-server counter, so two entries in the same millisecond keep their order).
// A sorted array: inserts land near the tail in the common case and removal is a memmove,
// which is cheaper than a tree for the few thousand entries a queue holds.

export interface QueueKey {
  readonly priority: number;
  readonly enteredAt: number;
  readonly entryOrder: number;
}

export function compareKeys(a: QueueKey, b: QueueKey): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.enteredAt !== b.enteredAt) return a.enteredAt - b.enteredAt;
  return a.entryOrder - b.entryOrder;
}

export class OrderedQueue<T extends { key: QueueKey }> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  insert(item: T): void {
    const index = this.lowerBound(item.key);
    if (index === this.items.length) this.items.push(item);
    else this.items.splice(index, 0, item);
  }

  remove(item: T): boolean {
    const index = this.lowerBound(item.key);
    if (this.items[index] !== item) return false;
    this.items.splice(index, 1);
    return true;
  }

  values(): readonly T[] {
    return this.items;
  }

  /** Up to `count` items in order after the item with key `after` (from the first when null): a page that holds still while items come and go. */
  page(after: QueueKey | null, count: number): T[] {
    let start = 0;
    if (after !== null) {
      start = this.lowerBound(after);
      if (start < this.items.length && compareKeys(this.items[start]!.key, after) === 0) start++;
    }
    return this.items.slice(start, start + count);
  }

  /**
   * The earliest entry time of any item (null when empty), for the oldest-waiting statistic.
   * Within one priority the first item entered earliest, so only the first of each priority is
   * read: O(priorities × log n) rather than a scan of every item. Priorities are few in practice;
   * a queue where every item has its own priority costs O(n log n), no worse than a scan.
   */
  oldestEnteredAt(): number | null {
    let oldest: number | null = null;
    for (let index = 0; index < this.items.length; index = this.priorityEnd(index)) {
      const enteredAt = this.items[index]!.key.enteredAt;
      if (oldest === null || enteredAt < oldest) oldest = enteredAt;
    }
    return oldest;
  }

  /** The index after the last item with the same priority as the one at `start`. */
  private priorityEnd(start: number): number {
    const priority = this.items[start]!.key.priority;
    let low = start + 1;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.items[middle]!.key.priority === priority) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private lowerBound(key: QueueKey): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.items[middle]!.key, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
