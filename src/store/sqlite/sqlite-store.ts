// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so a commit has reached
// the disk before it returns. The server batches many moves into one commit (group commit).

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AgentLoginRecord, Counters, InteractionRecord } from '../../core/types.js';
import { batchOfRows, loadedColumns, RowReader } from '../interaction-row.js';
import { fromChunks, loadBatchSize, toChunk, type CommitBatch, type EventChunk, type LoadedState, type LoadSink, type Store, type StoredEvent, type WebhookCursor } from '../store.js';
import { migrations } from './migrations.js';

/** A commit batch whose reporting events are one chunk (null for none). */
export type ChunkedBatch = Omit<CommitBatch, 'events'> & { chunk: EventChunk | null };


const columns = loadedColumns;

/** Each row as the JSON array interaction-row.ts reads, written by SQLite (in the worker thread when the server loads). */
const loadRows = `SELECT json_array(${columns.map((column) => (column === 'user_data' || column === 'participants' ? `json(${column})` : column)).join(', ')})
  FROM interactions WHERE state <> 'stopped'`;

/** What a load reads before the interactions: the agents logged in and the counters. */
function readLoadedState(database: Database.Database): LoadedState {
  const agents = (database.prepare('SELECT agent_id AS agentId, place_id AS placeId FROM agent_logins').all() as Omit<AgentLoginRecord, 'loggedIn'>[])
    .map((agent) => ({ ...agent, loggedIn: true }));
  const counters = database.prepare(
    'SELECT last_interaction AS lastInteraction, last_ticket AS lastTicket, last_entry AS lastEntry, last_seq AS lastSeq FROM counters WHERE id = 1',
  ).get() as Counters;
  return { agents, counters };
}

/** Every interaction that has not stopped, in batches of loadBatchSize rows (RowReader.records reads one); run inside the load's read transaction. */
function* loadBatches(database: Database.Database): Generator<string> {
  let rows: string[] = [];
  for (const row of database.prepare(loadRows).pluck().iterate() as IterableIterator<string>) {
    rows.push(row);
    if (rows.length === loadBatchSize) {
      yield batchOfRows(rows);
      rows = [];
    }
  }
  if (rows.length > 0) yield batchOfRows(rows);
}

/**
 * A load's reads from a database connection, in one read transaction: the state, then each batch
 * of interactions as text (loadBatches), until `batch` answers false.
 */
export function readForLoad(database: Database.Database, parts: { state(state: LoadedState): void; batch(text: string): boolean }): void {
  database.transaction(() => {
    parts.state(readLoadedState(database));
    for (const text of loadBatches(database)) if (!parts.batch(text)) return;
  }).deferred();
}

/** A load (Store.load) on this thread. */
export function loadFrom(database: Database.Database, sink: LoadSink): void {
  const reader = new RowReader();
  readForLoad(database, {
    state: (state) => sink.begin(state),
    batch: (text) => {
      sink.interactions(reader.records(text));
      return true;
    },
  });
}

function toRow(record: InteractionRecord): unknown[] {
  return [
    record.interactionId, record.number, record.mediaType, record.type, record.subtype, record.priority,
    JSON.stringify(record.userData), record.submittedAt, record.submittedBy, record.externalId, record.state, record.queue,
    record.workbinName, record.workbinOwner, record.enteredAt, record.entryOrder, record.assignedTo, record.placeId,
    record.ticketId, record.ticketAgentId, record.ticketPlaceId, record.expiresAt, record.scheduledAt, JSON.stringify(record.participants),
  ];
}


/**
 * The store's lock: `PATH.lock`, a SQLite file of its own held in an exclusive transaction for as
 * long as the store is open. SQLite's file locks are released by the operating system when the
 * process dies, kill -9 included, so a crash never leaves a stale lock behind; and SQLite keeps
 * them consistent between connections of one process too (two servers in one test process).
 */
function takeLock(path: string): Database.Database {
  const lockPath = `${path}.lock`;
  // No busy wait: a lock held is held by a running server, which will not let go in a few seconds.
  const lock = new Database(lockPath, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`another openixn is using this store (sqlite:${path}): it holds ${lockPath}. Stop it first, or give this server a store of its own.`, { cause: error });
    }
    throw error;
  }
  return lock;
}

export function migrate(database: Database.Database): number {
  database.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const current = (database.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null }).version ?? 0;
  if (current > migrations.length) {
    throw new Error(`The database is at schema version ${current}, newer than this server knows (${migrations.length}); upgrade openixn.`);
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    database.transaction(() => {
      database.exec(migrations[version - 1]!);
      database.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version);
    })();
  }
  return migrations.length;
}

export class SqliteStore implements Store {
  /** The schema version this build migrates to. */
  static readonly schemaVersion = migrations.length;
  private readonly database: Database.Database;
  /** A second database file held in an exclusive transaction while the store is open: one server per store. */
  private readonly lock: Database.Database | null;
  private readonly upsertInteraction: Database.Statement;
  private readonly insertEvents: Database.Statement;
  private readonly updateCounters: Database.Statement;
  private readonly upsertLogin: Database.Statement;
  private readonly deleteLogin: Database.Statement;
  private readonly selectChunks: Database.Statement;
  private readonly selectExternalId: Database.Statement;
  private readonly selectSubmittedAt: Database.Statement;
  private readonly selectWebhookCursors: Database.Statement;
  private readonly upsertWebhookCursor: Database.Statement;
  private readonly commitBatches: (batches: readonly ChunkedBatch[]) => void;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // Before the store itself is opened: a second server must change nothing.
    this.lock = path === ':memory:' ? null : takeLock(path);
    try {
      this.database = new Database(path);
    } catch (error) {
      this.lock?.close();
      throw error;
    }
    this.database.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged move survives power loss too.
    this.database.pragma('synchronous = FULL');
    this.database.pragma('busy_timeout = 5000');
    migrate(this.database);
    const updates = columns.slice(1).map((column) => `${column} = excluded.${column}`).join(', ');
    this.upsertInteraction = this.database.prepare(
      `INSERT INTO interactions (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
       ON CONFLICT (interaction_id) DO UPDATE SET ${updates}`,
    );
    this.insertEvents = this.database.prepare('INSERT INTO reporting_log (first_seq, last_seq, events) VALUES (?, ?, ?)');
    this.updateCounters = this.database.prepare(
      'UPDATE counters SET last_interaction = ?, last_ticket = ?, last_entry = ?, last_seq = ? WHERE id = 1',
    );
    this.upsertLogin = this.database.prepare('INSERT INTO agent_logins (agent_id, place_id) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET place_id = excluded.place_id');
    this.deleteLogin = this.database.prepare('DELETE FROM agent_logins WHERE agent_id = ?');
    this.selectChunks = this.database.prepare(
      'SELECT first_seq AS firstSeq, events FROM reporting_log WHERE last_seq >= ? AND first_seq <= ? ORDER BY first_seq LIMIT ?',
    );
    this.selectExternalId = this.database.prepare('SELECT interaction_id FROM interactions WHERE submitted_by = ? AND external_id = ?').pluck();
    this.selectSubmittedAt = this.database.prepare('SELECT submitted_at FROM interactions WHERE interaction_id = ?').pluck();
    this.selectWebhookCursors = this.database.prepare('SELECT endpoint, last_seq AS lastSeq FROM webhook_cursors');
    this.upsertWebhookCursor = this.database.prepare('INSERT INTO webhook_cursors (endpoint, last_seq) VALUES (?, ?) ON CONFLICT (endpoint) DO UPDATE SET last_seq = excluded.last_seq');
    this.commitBatches = this.database.transaction((batches: readonly ChunkedBatch[]) => {
      for (const batch of batches) {
        for (const record of batch.interactions) this.upsertInteraction.run(toRow(record));
        const chunk = batch.chunk;
        if (chunk !== null) this.insertEvents.run(chunk.firstSeq, chunk.lastSeq, chunk.events);
        for (const agent of batch.agents) {
          if (agent.loggedIn) this.upsertLogin.run(agent.agentId, agent.placeId);
          else this.deleteLogin.run(agent.agentId);
        }
      }
      const counters = batches[batches.length - 1]!.counters;
      this.updateCounters.run(counters.lastInteraction, counters.lastTicket, counters.lastEntry, counters.lastSeq);
    });
  }

  load(sink: LoadSink): Promise<void> {
    try {
      loadFrom(this.database, sink);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  commit(batch: CommitBatch): Promise<void> {
    try {
      this.commitMany([batch]);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Several batches in one transaction, in order: the worker merges the commits that queued up. */
  commitMany(batches: readonly CommitBatch[]): void {
    this.commitChunked(batches.map(({ events, ...records }) => ({ ...records, chunk: toChunk(events) })));
  }

  /** The same, with each batch's reporting events already joined into their chunk (the worker gets them so). */
  commitChunked(batches: readonly ChunkedBatch[]): void {
    if (batches.length > 0) this.commitBatches(batches);
  }

  readEvents(fromSeq: number, toSeq: number, limit: number, maxBytes?: number): Promise<StoredEvent[]> {
    // Iterated, not fetched whole: fromChunks stops reading once it has enough events or bytes.
    const chunks = this.selectChunks.iterate(fromSeq, toSeq, limit) as IterableIterator<{ firstSeq: number; events: string }>;
    try {
      return Promise.resolve(fromChunks(chunks, fromSeq, toSeq, limit, maxBytes));
    } finally {
      chunks.return?.();
    }
  }

  findByExternalId(submittedBy: string, externalId: string): Promise<string | null> {
    return Promise.resolve((this.selectExternalId.get(submittedBy, externalId) as string | undefined) ?? null);
  }

  findSubmittedAt(interactionId: string): Promise<number | null> {
    return Promise.resolve((this.selectSubmittedAt.get(interactionId) as number | undefined) ?? null);
  }

  readWebhookCursors(): Promise<WebhookCursor[]> {
    return Promise.resolve(this.selectWebhookCursors.all() as WebhookCursor[]);
  }

  saveWebhookCursor(cursor: WebhookCursor): Promise<void> {
    try {
      this.upsertWebhookCursor.run(cursor.endpoint, cursor.lastSeq);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  close(): Promise<void> {
    this.database.close();
    // Closing the lock's connection ends its transaction, and with it the lock.
    this.lock?.close();
    return Promise.resolve();
  }
}
