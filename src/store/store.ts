// The store port: what the server needs from a database, in domain verbs. The SQLite store
// implements it now; the PostgreSQL store implements the same port.

import type { Counters, InteractionRecord } from '../core/types.js';

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
  counters: Counters;
}

export interface Store {
  /** The interactions that have not stopped, in no particular order, and the counters. */
  load(): Promise<{ interactions: InteractionRecord[]; counters: Counters }>;
  /** Makes the whole batch durable in one transaction, or nothing of it. */
  commit(batch: CommitBatch): Promise<void>;
  /** Stored reporting events with fromSeq <= seq <= toSeq, at most `limit`, in seq order. */
  readEvents(fromSeq: number, toSeq: number, limit: number): Promise<StoredEvent[]>;
  /** The interaction a media server submitted with this externalId, stopped ones included. */
  findByExternalId(submittedBy: string, externalId: string): Promise<string | null>;
  close(): Promise<void>;
}
