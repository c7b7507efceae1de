// Group commit: every move the core makes during one turn of the event loop goes into one
// transaction, and the messages about those moves are released only after it commits. Nothing is
// acknowledged before it is durable, and messages leave in the order the core produced them.
// A store that holds commits through a database outage (PostgreSQL) simply answers late; a commit
// that fails stops the server (fail-stop), since the core's memory is then ahead of the store.

import type { Effects } from '../core/core.js';
import { toRecord } from '../core/interaction.js';
import type { AgentLoginRecord, Counters, Interaction, Outgoing, OutgoingMessage } from '../core/types.js';
import type { Store, StoredEvent } from './store.js';

/** A message with work to do once it has been sent (the start of a reporting replay). */
/** The core's output, or a message of the shell's own to one client (with something to do once it is sent). */
export type Delivery = Outgoing | { to: string; message: OutgoingMessage; afterSend?: () => void };

/** A committed batch's messages, and its reporting events as stored, in order. */
export interface CommittedBatch {
  out: readonly Delivery[];
  /** One per item with `to: null`, its JSON text encoded once, for the store and for every reporting client. */
  events: readonly StoredEvent[];
}

interface Batch {
  changed: Map<string, Interaction>;
  agents: Map<string, AgentLoginRecord>;
  out: Delivery[];
}

export interface GroupCommitOptions {
  store: Store;
  /** The core's effects since the last call; taken once per batch rather than once per request. */
  takeEffects: () => Effects;
  counters: () => Counters;
  deliver: (batch: CommittedBatch) => void;
  onFatal: (error: Error) => void;
  /** Each commit once durable: how long the store took (ms) and what it wrote, for the metrics. */
  onCommitted?: (durationMs: number, interactions: number, events: number) => void;
}

/**
 * How many commits may wait at the store at once. The store takes them in order (the SQLite worker
 * merges those that queued up into one transaction), so the server need not wait for one commit's
 * answer before it sends the next.
 */
const maxCommitsInFlight = 8;

export class GroupCommit {
  private open: Batch = { changed: new Map(), agents: new Map(), out: [] };
  /** Sent to the store, in order; each is delivered once it and every one before it committed. */
  private readonly inFlight: { batch: CommittedBatch; committed: boolean }[] = [];
  private scheduled = false;
  private failed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly options: GroupCommitOptions;

  constructor(options: GroupCommitOptions) {
    this.options = options;
  }

  /** The core did something: its effects join the batch that this turn of the event loop closes. */
  noteCoreWork(): void {
    this.schedule();
  }

  /** A message from the shell itself, after everything the core produced before it. */
  addDelivery(delivery: Delivery): void {
    this.collect();
    this.open.out.push(delivery);
    this.schedule();
  }

  private collect(): void {
    const effects = this.options.takeEffects();
    if (effects.out.length === 0 && effects.changed.size === 0 && effects.agents.size === 0) return;
    if (this.isEmpty(this.open)) {
      this.open = { changed: effects.changed, agents: effects.agents, out: effects.out };
      return;
    }
    for (const [id, interaction] of effects.changed) this.open.changed.set(id, interaction);
    for (const [id, agent] of effects.agents) this.open.agents.set(id, agent);
    for (const item of effects.out) this.open.out.push(item);
  }

  /** Commits sent to the store and not yet delivered. */
  get backlog(): number {
    return this.inFlight.length;
  }

  /** Resolves once everything added so far is committed and delivered. */
  async drain(): Promise<void> {
    if (this.isIdle()) return;
    this.schedule();
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    this.collect();
    return this.inFlight.length === 0 && this.isEmpty(this.open);
  }

  private isEmpty(batch: Batch): boolean {
    return batch.out.length === 0 && batch.changed.size === 0 && batch.agents.size === 0;
  }

  private schedule(): void {
    if (this.scheduled || this.failed) return;
    this.scheduled = true;
    // Everything the core does in this turn of the event loop joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    this.collect();
    if (this.failed || this.inFlight.length >= maxCommitsInFlight) return;
    if (this.isEmpty(this.open)) return;
    const batch = this.open;
    this.open = { changed: new Map(), agents: new Map(), out: [] };
    const events: StoredEvent[] = [];
    for (const item of batch.out) if (item.to === null) events.push({ seq: item.message.seq, text: JSON.stringify(item.message) });
    const entry = { batch: { out: batch.out, events }, committed: false };
    this.inFlight.push(entry);
    if (batch.changed.size === 0 && batch.agents.size === 0 && events.length === 0) {
      // Answers that changed nothing (reads, errors) need no commit, only their turn in the order.
      entry.committed = true;
      this.deliverCommitted();
      return;
    }
    const interactions = [];
    for (const interaction of batch.changed.values()) interactions.push(toRecord(interaction));
    const sentAt = performance.now();
    this.options.store.commit({ interactions, events, agents: [...batch.agents.values()], counters: this.options.counters() }).then(
      () => {
        this.options.onCommitted?.(performance.now() - sentAt, interactions.length, events.length);
        entry.committed = true;
        this.deliverCommitted();
      },
      (error: unknown) => {
        if (this.failed) return;
        this.failed = true;
        this.options.onFatal(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private deliverCommitted(): void {
    this.collect();
    while (this.inFlight.length > 0 && this.inFlight[0]!.committed && !this.failed) {
      this.options.deliver(this.inFlight.shift()!.batch);
    }
    if (!this.isEmpty(this.open)) {
      this.flush();
      return;
    }
    if (this.inFlight.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
