// A snapshot (SPEC 9.3 steps 2 to 4): which interactions one queue or workbin held at one moment,
// in an order, each with where it was seen, so that a later move or unlock acts only on those
// still there. It holds references, not copies: a page shows each interaction as it is when read.

import { compareKeys } from './ordered-queue.js';
import { workbinKey } from './interaction.js';
import type { SnapshotOrder } from './requests.js';
import type { Interaction } from './types.js';

export interface Snapshot {
  readonly snapshotId: number;
  readonly clientId: string;
  /** The queue or workbin it was taken of (locationKeyOf). */
  readonly location: string;
  /** The interactions, in the snapshot's order, and beside each its entry where the snapshot saw it: a new entry is another place. */
  readonly interactions: readonly Interaction[];
  readonly entryOrders: readonly number[];
  /** The interactions this snapshot locks, until unlocked, released or its connection closes. */
  readonly locked: Set<Interaction>;
}

/** Where an interaction waits (or returns to), as one string: a queue and a workbin never share one. */
export function locationKeyOf(interaction: Pick<Interaction, 'queue' | 'workbin'>): string {
  return interaction.workbin !== null ? `w\u0000${workbinKey(interaction.workbin)}` : `q\u0000${interaction.queue ?? ''}`;
}

/** True while the snapshot's interaction at `index` waits where the snapshot saw it, in the same entry. */
export function stillWhereSeen(snapshot: Snapshot, index: number): boolean {
  const interaction = snapshot.interactions[index]!;
  if (interaction.state === 'stopped' || interaction.state === 'handling') return false;
  return interaction.key.entryOrder === snapshot.entryOrders[index] && locationKeyOf(interaction) === snapshot.location;
}

/**
 * The snapshot's order as a comparison. `queue`: the queue's own order (priority, then entry);
 * `priority`: highest priority first, then the oldest submitted; `age`: the oldest submitted
 * first, whatever its priority. Each ties on the queue order, so the order is total and a page
 * never shifts.
 */
export function snapshotComparison(order: SnapshotOrder): (a: Interaction, b: Interaction) => number {
  switch (order) {
    case 'queue': return (a, b) => compareKeys(a.key, b.key);
    case 'priority': return (a, b) => b.priority - a.priority || a.submittedAt - b.submittedAt || compareKeys(a.key, b.key);
    case 'age': return (a, b) => a.submittedAt - b.submittedAt || compareKeys(a.key, b.key);
  }
}

/**
 * Merges sorted runs into one sorted list of at most `max`, `budget` items per call, so that a
 * hundred thousand are ordered in slices rather than in one sort. Returns true when done.
 */
export class RunMerge {
  readonly merged: Interaction[] = [];
  private readonly heads: number[];

  constructor(private readonly runs: readonly Interaction[][], private readonly compare: (a: Interaction, b: Interaction) => number, private readonly max: number) {
    this.heads = runs.map(() => 0);
  }

  step(budget: number): boolean {
    for (let taken = 0; taken < budget; taken++) {
      if (this.merged.length === this.max) return true;
      let best = -1;
      for (let run = 0; run < this.runs.length; run++) {
        const candidate = this.runs[run]![this.heads[run]!];
        if (candidate !== undefined && (best < 0 || this.compare(candidate, this.runs[best]![this.heads[best]!]!) < 0)) best = run;
      }
      if (best < 0) return true;
      this.merged.push(this.runs[best]![this.heads[best]!++]!);
    }
    return this.merged.length === this.max || this.runs.every((run, index) => this.heads[index] === run.length);
  }
}
