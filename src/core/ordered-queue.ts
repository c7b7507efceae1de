// The order of a queue or workbin: higher priority first, then earlier entry time, then
// earlier entry (a per-server counter, so two entries in the same millisecond keep their order).
// A list of sorted blocks of at most `blockSize` items: an insert or a removal anywhere moves at
// most one block's items, so a queue of a million waiting interactions costs the same per move
// as one of a hundred (one sorted array had to move the whole million to take its first item).

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

/** Where a key goes: a block and an index in it (index may equal the block's length). */
interface Position {
  block: number;
  index: number;
}

const defaultBlockSize = 512;

export class OrderedQueue<T extends { key: QueueKey }> {
  private readonly blocks: T[][] = [];
  private count = 0;

  /** `blockSize` is for tests, which make it small to split and merge blocks often. */
  constructor(private readonly blockSize = defaultBlockSize) {}

  get size(): number {
    return this.count;
  }

  insert(item: T): void {
    this.count++;
    if (this.blocks.length === 0) {
      this.blocks.push([item]);
      return;
    }
    // Most entries go last (a new submit, a recovery reading in entry order): no search for those.
    const last = this.blocks[this.blocks.length - 1]!;
    const { block, index } = compareKeys(last[last.length - 1]!.key, item.key) < 0 ? { block: this.blocks.length - 1, index: last.length } : this.lowerBound(item.key);
    const items = this.blocks[block]!;
    if (index === items.length) items.push(item);
    else items.splice(index, 0, item);
    if (items.length > 2 * this.blockSize) this.blocks.splice(block + 1, 0, items.splice(this.blockSize));
  }

  remove(item: T): boolean {
    if (this.count === 0) return false;
    const { block, index } = this.lowerBound(item.key);
    const items = this.blocks[block]!;
    if (items[index] !== item) return false;
    this.count--;
    if (index === 0 && items.length === 1) this.blocks.splice(block, 1);
    else items.splice(index, 1);
    return true;
  }

  /** The first item in order, if any. */
  first(): T | undefined {
    return this.blocks[0]?.[0];
  }

  /** The items as they are now, block by block in order: a copy that holds still while the queue changes, made in O(blocks). */
  frozenBlocks(): T[][] {
    return this.blocks.map((items) => items.slice());
  }

  /** Every item in order. Changing the queue while iterating is not allowed: copy first. */
  *values(): IterableIterator<T> {
    for (const items of this.blocks) yield* items;
  }

  /** Up to `count` items in order after the item with key `after` (from the first when null): a page that holds still while items come and go. */
  page(after: QueueKey | null, count: number): T[] {
    let position: Position = { block: 0, index: 0 };
    if (after !== null && this.blocks.length > 0) {
      position = this.lowerBound(after);
      const found = this.blocks[position.block]![position.index];
      if (found !== undefined && compareKeys(found.key, after) === 0) position.index++;
    }
    const page: T[] = [];
    for (let block = position.block; block < this.blocks.length && page.length < count; block++) {
      const items = this.blocks[block]!;
      for (let index = block === position.block ? position.index : 0; index < items.length && page.length < count; index++) page.push(items[index]!);
    }
    return page;
  }

  /**
   * The earliest entry time of any item (null when empty), for the oldest-waiting statistic.
   * Within one priority the first item entered earliest, so only the first of each priority is
   * read: O(priorities × log n) rather than a scan of every item. Priorities are few in practice;
   * a queue where every item has its own priority costs O(n log n), no worse than a scan.
   */
  oldestEnteredAt(): number | null {
    let oldest: number | null = null;
    let next = this.first();
    while (next !== undefined) {
      const enteredAt = next.key.enteredAt;
      if (oldest === null || enteredAt < oldest) oldest = enteredAt;
      // The first item of a lower priority: the place of a key after every key of this priority.
      const { block, index } = this.lowerBound({ priority: next.key.priority, enteredAt: Number.POSITIVE_INFINITY, entryOrder: Number.POSITIVE_INFINITY });
      const items = this.blocks[block]!;
      next = index < items.length ? items[index] : this.blocks[block + 1]?.[0];
    }
    return oldest;
  }

  /**
   * Where the first item not before `key` is, or where `key` would be inserted: the first block
   * whose last item is not before it (the last block when every item is), then within it.
   */
  private lowerBound(key: QueueKey): Position {
    let low = 0;
    let high = this.blocks.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const items = this.blocks[middle]!;
      if (compareKeys(items[items.length - 1]!.key, key) < 0) low = middle + 1;
      else high = middle;
    }
    const items = this.blocks[low]!;
    let first = 0;
    let last = items.length;
    while (first < last) {
      const middle = (first + last) >>> 1;
      if (compareKeys(items[middle]!.key, key) < 0) first = middle + 1;
      else last = middle;
    }
    return { block: low, index: first };
  }
}
