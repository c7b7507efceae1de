// Which reporting events an endpoint wants: by name, by queue, or both (an event must pass each
// filter given). A queue filter keeps only the events that name a queue: EventPlacedInQueue,
// EventTakenFromQueue and EventProcessingStopped by their `queue`, EventInteractionSubmitted by
// its interaction's. Every other event (invites, parties, agents, properties) names none and is
// left out: the log does not say which queue it concerned, and guessing from earlier events would
// give a different answer after a restart, which starts at a cursor, than before it.

import type { StoredEvent } from '../store/store.js';
import type { WebhookSettings } from './settings.js';

export type EventFilter = (event: StoredEvent) => boolean;

export function eventFilter(settings: Pick<WebhookSettings, 'events' | 'queues'>): EventFilter {
  const { events, queues } = settings;
  if (events === null && queues === null) return () => true;
  return (stored) => {
    const event = JSON.parse(stored.text) as { message?: unknown; queue?: unknown; interaction?: { queue?: unknown } };
    if (events !== null && (typeof event.message !== 'string' || !events.has(event.message))) return false;
    if (queues === null) return true;
    const queue = typeof event.queue === 'string' ? event.queue : event.interaction?.queue;
    return typeof queue === 'string' && queues.has(queue);
  };
}
