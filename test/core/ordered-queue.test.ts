// The queue order (higher priority first, then entry time, then entry order) and the oldest entry
// time it finds without scanning every item, checked against a scan on random contents.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { OrderedQueue, type QueueKey } from '../../src/core/ordered-queue.js';

interface Item {
  key: QueueKey;
}

describe('OrderedQueue', () => {
  test('keeps queue order, and finds the oldest entry time as a scan would, through inserts and removals', () => {
    const operation = fc.oneof(
      fc.record({ insert: fc.record({ priority: fc.integer({ min: -3, max: 3 }), enteredAt: fc.integer({ min: 0, max: 50 }) }) }),
      fc.record({ remove: fc.nat() }),
    );
    // Blocks of 2 to 4 items, so that blocks are split, emptied and removed all the time.
    fc.assert(fc.property(fc.array(operation, { maxLength: 80 }), fc.integer({ min: 1, max: 4 }), (operations, blockSize) => {
      const queue = new OrderedQueue<Item>(blockSize);
      const items: Item[] = [];
      let entryOrder = 0;
      for (const step of operations) {
        if ('insert' in step) {
          const item = { key: { ...step.insert, entryOrder: ++entryOrder } };
          queue.insert(item);
          items.push(item);
        } else if (items.length > 0) {
          const [item] = items.splice(step.remove % items.length, 1);
          expect(queue.remove(item!)).toBe(true);
        }
        const values = [...queue.values()];
        expect(queue.size).toBe(items.length);
        expect(queue.first()).toBe(values[0]);
        expect(new Set(values)).toEqual(new Set(items));
        for (let index = 1; index < values.length; index++) {
          const [before, after] = [values[index - 1]!.key, values[index]!.key];
          expect(before.priority > after.priority || (before.priority === after.priority && (before.enteredAt < after.enteredAt || (before.enteredAt === after.enteredAt && before.entryOrder < after.entryOrder)))).toBe(true);
        }
        const scanned = items.length === 0 ? null : Math.min(...items.map((item) => item.key.enteredAt));
        expect(queue.oldestEnteredAt()).toBe(scanned);
        // Every page after every item's key continues right after it.
        for (let index = 0; index < values.length; index++) expect(queue.page(values[index]!.key, 3)).toEqual(values.slice(index + 1, index + 4));
        expect(queue.page(null, 2)).toEqual(values.slice(0, 2));
      }
    }));
  });

  test('removes only the very item it holds, and keeps a large queue in order through head removals', () => {
    const queue = new OrderedQueue<Item>(8);
    const items = Array.from({ length: 1_000 }, (_, index) => ({ key: { priority: index % 3, enteredAt: index, entryOrder: index } }));
    for (const item of items) queue.insert(item);
    expect(queue.remove({ key: { ...items[10]!.key } })).toBe(false);
    const order = [...queue.values()];
    for (let index = 0; index < 500; index++) expect(queue.remove(order[index]!)).toBe(true);
    expect([...queue.values()]).toEqual(order.slice(500));
    expect(queue.size).toBe(500);
    expect(new OrderedQueue<Item>().remove(items[0]!)).toBe(false);
  });
});
