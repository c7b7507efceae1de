// The SQLite store as the server uses it: the same port as SqliteStore, carried out in a worker
// thread (worker-entry.ts). better-sqlite3 is synchronous, so on the main thread every commit's
// fsync would stop the server; in the worker, the next batch gathers while one commits.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { RowReader } from '../interaction-row.js';
import { toChunk, type CommitBatch, type EventChunk, type LoadedState, type LoadSink, type Store, type StoredEvent, type WebhookCursor } from '../store.js';

export type WorkerRequest = { id: number } & (
  /**
   * The batch as flat strings, which cross to the worker far cheaper than a structured clone of its
   * objects: its records as JSON, and its reporting events as the chunk the store keeps (already
   * JSON, one per line), so that they are not escaped again inside the JSON.
   */
  | { operation: 'commit'; records: string; chunk: EventChunk | null }
  | { operation: 'readEvents'; fromSeq: number; toSeq: number; limit: number; maxBytes?: number }
  | { operation: 'findByExternalId'; submittedBy: string; externalId: string }
  | { operation: 'findSubmittedAt'; interactionId: string }
  | { operation: 'readWebhookCursors' }
  | { operation: 'saveWebhookCursor'; cursor: WebhookCursor }
  | { operation: 'close' }
  /** `progress`: [batches the main thread has taken, 1 once it gave up]; see load(). */
  | { operation: 'load'; progress: SharedArrayBuffer }
);

/** A load's parts, before its reply: the state first, then its interactions batch by batch (loadBatches). */
export type LoadPart = { id: number } & ({ part: 'state'; state: LoadedState } | { part: 'batch'; batch: string });

export type WorkerReply = { id: number } & ({ ok: true; value: unknown } | { ok: false; error: string });

/** How many batches a load reads ahead of the main thread: enough to keep both threads busy, few enough to hold little. */
export const loadWindow = 2;

type Operation = WorkerRequest extends infer Request ? (Request extends { id: number } ? Omit<Request, 'id'> : never) : never;

/**
 * The compiled worker. Under the tests the sources run as TypeScript, which a worker cannot load,
 * so they use the build that `npm test` makes first.
 */
function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return resolve(dirname(here), '../../../dist/store/sqlite/worker-entry.js');
  return resolve(dirname(here), 'worker-entry.js');
}

export class SqliteWorkerStore implements Store {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** The load under way, by its request's id: where its parts go. */
  private readonly loads = new Map<number, (part: LoadPart) => void>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;
  private readonly exited: Promise<void>;

  private constructor(private readonly path: string, worker: Worker, port: MessagePort) {
    this.worker = worker;
    this.port = port;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    port.on('message', (reply: WorkerReply | LoadPart) => {
      if ('part' in reply) {
        this.loads.get(reply.id)?.(reply);
        return;
      }
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    });
    const failAll = (error: Error) => {
      this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      // The worker exits right after it closed the database; the close reply may not have come yet.
      if (this.closing) {
        for (const waiter of this.pending.values()) waiter.resolve(null);
        this.pending.clear();
        this.failure = new Error('the store is closed');
        return;
      }
      failAll(new Error(`the SQLite worker exited (code ${code})`));
    });
  }

  /** Starts the worker and waits until the database is open and migrated. */
  static async open(path: string): Promise<SqliteWorkerStore> {
    // A channel of its own, so the worker can take every queued request at once (receiveMessageOnPort).
    const channel = new MessageChannel();
    const worker = new Worker(workerEntry(), { workerData: { path, port: channel.port2 }, transferList: [channel.port2] });
    const store = new SqliteWorkerStore(path, worker, channel.port1);
    await new Promise<void>((resolve, reject) => store.pending.set(0, { resolve: () => resolve(), reject }));
    return store;
  }

  /**
   * The worker reads and writes each batch as JSON text while the main thread turns the one
   * before into the core's objects: the load uses both cores. The worker waits while it is
   * loadWindow batches ahead, so the text waiting to be taken stays a few megabytes.
   */
  load(sink: LoadSink): Promise<void> {
    const progress = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const reader = new RowReader();
    let failure: Error | null = null;
    const loaded = this.call({ operation: 'load', progress: progress.buffer as SharedArrayBuffer });
    const id = this.nextId;
    this.loads.set(id, (part) => {
      if (failure !== null) return;
      try {
        if (part.part === 'state') sink.begin(part.state);
        else sink.interactions(reader.records(part.batch));
        Atomics.add(progress, 0, 1);
      } catch (error) {
        failure = error as Error;
        // The worker stops reading at its next batch.
        Atomics.store(progress, 1, 1);
      }
      Atomics.notify(progress, 0);
    });
    return loaded.then(
      () => {
        this.loads.delete(id);
        if (failure !== null) throw failure;
      },
      (error: unknown) => {
        this.loads.delete(id);
        throw failure ?? error;
      },
    );
  }

  commit(batch: CommitBatch): Promise<void> {
    const records = JSON.stringify({ interactions: batch.interactions, agents: batch.agents, counters: batch.counters });
    return this.call({ operation: 'commit', records, chunk: toChunk(batch.events) }) as Promise<void>;
  }

  readEvents(fromSeq: number, toSeq: number, limit: number, maxBytes?: number): Promise<StoredEvent[]> {
    return this.call({ operation: 'readEvents', fromSeq, toSeq, limit, ...(maxBytes !== undefined ? { maxBytes } : {}) }) as Promise<StoredEvent[]>;
  }

  findByExternalId(submittedBy: string, externalId: string): Promise<string | null> {
    return this.call({ operation: 'findByExternalId', submittedBy, externalId }) as Promise<string | null>;
  }

  findSubmittedAt(interactionId: string): Promise<number | null> {
    return this.call({ operation: 'findSubmittedAt', interactionId }) as Promise<number | null>;
  }

  readWebhookCursors(): Promise<WebhookCursor[]> {
    return this.call({ operation: 'readWebhookCursors' }) as Promise<WebhookCursor[]>;
  }

  saveWebhookCursor(cursor: WebhookCursor): Promise<void> {
    return this.call({ operation: 'saveWebhookCursor', cursor }) as Promise<void>;
  }

  async close(): Promise<void> {
    if (this.failure !== null || this.closing) return;
    this.closing = true;
    await this.call({ operation: 'close' });
    this.port.close();
    await this.exited;
  }

  private call(operation: Operation): Promise<unknown> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ id, ...operation });
    });
  }
}
