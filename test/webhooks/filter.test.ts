// Which events an endpoint's filters keep: by name, by queue (only events that name a queue), both.

import { describe, expect, test } from 'vitest';
import { eventFilter } from '../../src/webhooks/filter.js';

const stored = (event: Record<string, unknown>, seq = 1) => ({ seq, text: JSON.stringify({ seq, ...event }) });
const submitted = stored({ message: 'EventInteractionSubmitted', interactionId: 'i', interaction: { queue: 'pool' } });
const placed = stored({ message: 'EventPlacedInQueue', interactionId: 'i', queue: 'pool', workbin: null });
const placedInWorkbin = stored({ message: 'EventPlacedInQueue', interactionId: 'i', queue: null, workbin: { name: 'drafts', ownerId: 'a' } });
const stopped = stored({ message: 'EventProcessingStopped', interactionId: 'i', queue: 'other' });
const invited = stored({ message: 'EventAgentInvited', interactionId: 'i', agentId: 'a', placeId: 'p', ticketId: 1 });
const all = [submitted, placed, placedInWorkbin, stopped, invited];

describe('eventFilter', () => {
  test('without filters, every event', () => {
    expect(all.filter(eventFilter({ events: null, queues: null }))).toEqual(all);
  });

  test('by name', () => {
    expect(all.filter(eventFilter({ events: new Set(['EventPlacedInQueue', 'EventAgentInvited']), queues: null }))).toEqual([placed, placedInWorkbin, invited]);
  });

  test('by queue: the event\'s queue, or a submitted interaction\'s; events that name none are left out', () => {
    expect(all.filter(eventFilter({ events: null, queues: new Set(['pool']) }))).toEqual([submitted, placed]);
    expect(all.filter(eventFilter({ events: null, queues: new Set(['other', 'constructor']) }))).toEqual([stopped]);
  });

  test('both: an event passes each', () => {
    expect(all.filter(eventFilter({ events: new Set(['EventPlacedInQueue']), queues: new Set(['pool']) }))).toEqual([placed]);
  });
});
