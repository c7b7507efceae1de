// The store port: what the server needs from a database, in domain verbs. The SQLite store and
// the PostgreSQL store implement it, and one conformance suite tests both.

import type { AgentLoginRecord, Counters, InteractionRecord } from '../core/types.js';

export interface StoredEvent {
  seq: number;
  /** The event exactly as it was sent, as JSON text. */
  text: string;
}

export interface CommitBatch {
  /** The latest record of every interaction changed in the batch. */
  interactions: InteractionRecord[];
  /** The batch's reporting events, in seq order. */
  events: StoredEvent[];
  /** Logins and logouts of the batch, the latest per agent. */
  agents: AgentLoginRecord[];
  counters: Counters;
}

/** How far one webhook endpoint (src/webhooks/) has received the reporting log. */
export interface WebhookCursor {
  /** The endpoint's name from the config. */
  endpoint: string;
  /** Every event up to and including this seq was delivered to it, or skipped by its filter. */
  lastSeq: number;
}

/** What a store holds besides its interactions: read first, so recovery can number what it reports. */
export interface LoadedState {
  agents: AgentLoginRecord[];
  counters: Counters;
}

/**
 * Another server holds the store's lease (src/store/postgres/lease.ts): this one may not commit.
 * Carries the URL the primary serves clients on, when its lease names one.
 */
export class NotPrimary extends Error {
  readonly primaryUrl: string | null;

  constructor(message: string, primaryUrl: string | null) {
    super(message);
    this.primaryUrl = primaryUrl;
  }
}

/** The primary as the lease names it: its epoch (0 before any) and its advertised URL, if any. */
export interface PrimaryView {
  epoch: number;
  primaryUrl: string | null;
}

/**
 * For a store several servers may share (PostgreSQL): one of them at a time is the primary, by a
 * lease with an epoch that every commit checks. The others wait as standbys.
 */
export interface Primacy {
  /** Waits as a standby until this server holds the lease, then resolves with its epoch; rejects if the store closes first. */
  acquire(advertisedUrl: string | null): Promise<number>;
  /** Whether a renewal of the lease landed within the lease period: a primary that cannot say so answers nobody. */
  holds(): boolean;
  /** The primary as last read from the lease. */
  view(): PrimaryView;
  /** Hears, once, that the lease has passed to another server (a renewal or a commit found a later epoch). */
  watchLoss(listener: (error: NotPrimary) => void): void;
}

/**
 * Where a store's load goes, in order: `begin` once, then `interactions` once per batch of at most
 * loadBatchSize records. A million waiting interactions never exist as a million records at once:
 * each batch becomes the core's own objects and is let go before the next is read.
 */
export interface LoadSink {
  begin(state: LoadedState): void;
  interactions(records: InteractionRecord[]): void;
}

/** How many records a load hands over at a time. */
export const loadBatchSize = 10_000;

export interface Store {
  /** Several servers share this store, one primary at a time; absent: this server is the store's only one (SQLite). */
  readonly primacy?: Primacy;
  /**
   * The counters and the agents logged in, then every interaction that has not stopped (in no
   * particular order, in batches), all of one consistent moment.
   */
  load(sink: LoadSink): Promise<void>;
  /** Makes the whole batch durable in one transaction, or nothing of it. */
  commit(batch: CommitBatch): Promise<void>;
  /**
   * Stored reporting events with fromSeq <= seq <= toSeq, in seq order: at most `limit`, and no
   * more than about `maxBytes` of text (whole commits are read, so the last one may pass it; at
   * least one event is returned when any is in range). Both bound what a replay holds in memory.
   */
  readEvents(fromSeq: number, toSeq: number, limit: number, maxBytes?: number): Promise<StoredEvent[]>;
  /** The interaction a media server submitted with this externalId, stopped ones included. */
  findByExternalId(submittedBy: string, externalId: string): Promise<string | null>;
  /** When an interaction was submitted (ms), stopped ones included; null for an id never stored. Where an interaction's history starts in the log. */
  findSubmittedAt(interactionId: string): Promise<number | null>;
  /** Every webhook endpoint's cursor, in no particular order. */
  readWebhookCursors(): Promise<WebhookCursor[]>;
  /**
   * Sets one endpoint's cursor, creating it if it is new. Written on its own, outside the core's
   * commits: a cursor that lags after a crash only sends some events again (at least once).
   */
  saveWebhookCursor(cursor: WebhookCursor): Promise<void>;
  close(): Promise<void>;
  /**
   * For a store that holds commits through an outage (PostgreSQL): called with false when it cannot
   * commit for now (it keeps the commits and retries them; each still resolves only once durable),
   * and with true once it commits again. A store that fails instead (SQLite) never calls it.
   */
  watchAvailability?(listener: (available: boolean, cause: Error | null) => void): void;
}

export interface EventChunk {
  firstSeq: number;
  lastSeq: number;
  /** One JSON line per event. */
  events: string;
}

/** A commit's reporting events as one chunk: consecutive seqs, one JSON line each. */
export function toChunk(events: readonly StoredEvent[]): EventChunk | null {
  if (events.length === 0) return null;
  let text = events[0]!.text;
  for (let index = 1; index < events.length; index++) {
    if (events[index]!.seq !== events[index - 1]!.seq + 1) throw new Error('a commit\'s reporting events have consecutive seqs');
    text += '\n' + events[index]!.text;
  }
  return { firstSeq: events[0]!.seq, lastSeq: events[events.length - 1]!.seq, events: text };
}

/** Splits stored chunks back into events, keeping fromSeq <= seq <= toSeq and at most `limit`. */
export function fromChunks(chunks: Iterable<{ firstSeq: number; events: string }>, fromSeq: number, toSeq: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): StoredEvent[] {
  const events: StoredEvent[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    if (events.length >= limit || bytes >= maxBytes) break;
    bytes += chunk.events.length;
    const lines = chunk.events.split('\n');
    for (let index = 0; index < lines.length && events.length < limit; index++) {
      const seq = chunk.firstSeq + index;
      if (seq >= fromSeq && seq <= toSeq) events.push({ seq, text: lines[index]! });
    }
  }
  return events;
}
