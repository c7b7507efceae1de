// Group commit: every move the core makes during one turn of the event loop goes into one
// transaction, and the messages about those moves are released only after it commits. One commit
// is in flight at a time; what arrives meanwhile waits for the next one. Nothing is acknowledged
// before it is durable, and messages leave in the order the core produced them.

import type { Effects } from '../core/core.js';
import { toRecord } from '../core/interaction.js';
import type { Counters, Interaction, Outgoing } from '../core/types.js';
import { encode } from '../protocol/codec.js';
import type { Store } from './store.js';

/** A message with work to do once it has been sent (the start of a reporting replay). */
export type Delivery = Outgoing | { to: string; message: Outgoing['message']; afterSend: () => void };

interface Batch {
  changed: Map<string, Interaction>;
  out: Delivery[];
}

export interface GroupCommitOptions {
  store: Store;
  counters: () => Counters;
  deliver: (out: readonly Delivery[]) => void;
  onFatal: (error: Error) => void;
}

export class GroupCommit {
  private open: Batch = { changed: new Map(), out: [] };
  private inFlight: Promise<void> | null = null;
  private scheduled = false;
  private failed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly options: GroupCommitOptions;

  constructor(options: GroupCommitOptions) {
    this.options = options;
  }

  add(effects: Effects): void {
    if (effects.out.length === 0 && effects.changed.size === 0) return;
    for (const [id, interaction] of effects.changed) this.open.changed.set(id, interaction);
    for (const item of effects.out) this.open.out.push(item);
    this.schedule();
  }

  addDelivery(delivery: Delivery): void {
    this.open.out.push(delivery);
    this.schedule();
  }

  /** Resolves once everything added so far is committed and delivered. */
  async drain(): Promise<void> {
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.inFlight === null && this.open.out.length === 0 && this.open.changed.size === 0;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight !== null || this.failed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight !== null || this.failed) return;
    const batch = this.open;
    this.open = { changed: new Map(), out: [] };
    if (batch.changed.size === 0 && !batch.out.some((item) => item.to === null)) {
      // Answers that changed nothing (reads, errors) need no commit, only their turn in the order.
      this.options.deliver(batch.out);
      this.afterFlush();
      return;
    }
    const interactions = [];
    for (const interaction of batch.changed.values()) interactions.push(toRecord(interaction));
    const events = [];
    for (const item of batch.out) if (item.to === null) events.push({ seq: item.message.seq, text: encode(item.message) });
    this.inFlight = this.options.store.commit({ interactions, events, counters: this.options.counters() }).then(
      () => {
        this.inFlight = null;
        this.options.deliver(batch.out);
        this.afterFlush();
      },
      (error: unknown) => {
        this.inFlight = null;
        this.failed = true;
        this.options.onFatal(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private afterFlush(): void {
    if (this.open.out.length > 0 || this.open.changed.size > 0) {
      this.flush();
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
