// A snapshot (SPEC 9.3 steps 2 to 4): which interactions one queue or workbin held at one moment,
// in an order, each with where it was seen, so that a later move or unlock acts only on those
// still there. It holds references, not copies: a page shows each interaction as it is when read.

import { compareKeys } from './ordered-queue.js';
import { workbinKey } from './interaction.js';
import type { SnapshotOrder } from './requests.js';
import type { Interaction } from './types.js';

export interface SnapshotEntry {
  readonly interaction: Interaction;
  /** The queue or workbin it was in (locationKeyOf), and its entry there: a new entry is another place. */
  readonly location: string;
  readonly entryOrder: number;
}

export interface Snapshot {
  readonly snapshotId: number;
  readonly clientId: string;
  readonly entries: readonly SnapshotEntry[];
  /** The interactions this snapshot locks, until unlocked, released or its connection closes. */
  readonly locked: Set<Interaction>;
}

/** Where an interaction waits (or returns to), as one string: a queue and a workbin never share one. */
export function locationKeyOf(interaction: Interaction): string {
  return interaction.workbin !== null ? `w\u0000${workbinKey(interaction.workbin)}` : `q\u0000${interaction.queue ?? ''}`;
}

/** True while the interaction waits where the entry saw it, in the same entry. */
export function stillWhereSeen(entry: SnapshotEntry): boolean {
  const interaction = entry.interaction;
  if (interaction.state === 'stopped' || interaction.state === 'handling') return false;
  return interaction.key.entryOrder === entry.entryOrder && locationKeyOf(interaction) === entry.location;
}

/**
 * The matches in the snapshot's order, at most `max`. `queue`: the queue's own order (priority,
 * then entry), which the matches already have; `priority`: highest priority first, then the
 * oldest submitted; `age`: the oldest submitted first, whatever its priority. Each ties on the
 * queue order, so the order is total and a page never shifts.
 */
export function orderSnapshot(matches: Interaction[], order: SnapshotOrder, max: number): Interaction[] {
  if (order === 'priority') matches.sort((a, b) => b.priority - a.priority || a.submittedAt - b.submittedAt || compareKeys(a.key, b.key));
  else if (order === 'age') matches.sort((a, b) => a.submittedAt - b.submittedAt || compareKeys(a.key, b.key));
  if (matches.length > max) matches.length = max;
  return matches;
}
