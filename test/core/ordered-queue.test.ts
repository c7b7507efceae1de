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
    fc.assert(fc.property(fc.array(operation, { maxLength: 80 }), (operations) => {
      const queue = new OrderedQueue<Item>();
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
        const values = queue.values();
        for (let index = 1; index < values.length; index++) {
          const [before, after] = [values[index - 1]!.key, values[index]!.key];
          expect(before.priority > after.priority || (before.priority === after.priority && (before.enteredAt < after.enteredAt || (before.enteredAt === after.enteredAt && before.entryOrder < after.entryOrder)))).toBe(true);
        }
        const scanned = items.length === 0 ? null : Math.min(...items.map((item) => item.key.enteredAt));
        expect(queue.oldestEnteredAt()).toBe(scanned);
      }
    }));
  });
});
