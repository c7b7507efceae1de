// Runs the SQLite store in a worker thread, so that a commit's fsync and its row writes use the
// second core while the main thread goes on serving requests. Commits that queued up while the
// previous one ran are merged into one transaction (one fsync). Each request is answered by
// exactly one reply with its id, in the order the requests came.

import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { readForLoad, SqliteStore, type ChunkedBatch } from './sqlite-store.js';
import { loadWindow, type LoadPart, type WorkerReply, type WorkerRequest } from './worker-store.js';

const { path, port } = workerData as { path: string; port: MessagePort };
let store: SqliteStore | null = null;
/** After a failed commit nothing more is committed: a later batch must never land without an earlier one. */
let failed: string | null = null;

function reply(message: WorkerReply | LoadPart): void {
  port.postMessage(message);
}

/**
 * Store.load, on a read-only connection of its own in one read transaction: the state, then each
 * batch of interactions, never more than loadWindow batches ahead of what the main thread took
 * (progress[0]); it stops when the main thread gave up (progress[1]). Nothing else is asked of the
 * store while the server loads, so this thread may wait here.
 */
function load(id: number, progress: Int32Array): void {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  let sent = 1;
  try {
    readForLoad(database, {
      state: (state) => reply({ id, part: 'state', state }),
      batch: (batch) => {
        for (let taken = Atomics.load(progress, 0); sent - taken >= loadWindow && Atomics.load(progress, 1) === 0; taken = Atomics.load(progress, 0)) {
          Atomics.wait(progress, 0, taken, 1000);
        }
        if (Atomics.load(progress, 1) !== 0) return false;
        reply({ id, part: 'batch', batch });
        sent++;
        return true;
      },
    });
  } finally {
    database.close();
  }
}

try {
  store = new SqliteStore(path);
  reply({ id: 0, ok: true, value: null });
} catch (error) {
  reply({ id: 0, ok: false, error: (error as Error).message });
}

port.on('message', (first: WorkerRequest) => {
  const requests = [first];
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
    requests.push(next.message as WorkerRequest);
  }
  let index = 0;
  while (index < requests.length) {
    const request = requests[index]!;
    if (request.operation !== 'commit') {
      void handle(request).then(
        (value) => reply({ id: request.id, ok: true, value }),
        (error: unknown) => reply({ id: request.id, ok: false, error: (error as Error).message }),
      );
      index++;
      continue;
    }
    const commits: Extract<WorkerRequest, { operation: 'commit' }>[] = [];
    while (index < requests.length && requests[index]!.operation === 'commit') commits.push(requests[index++] as (typeof commits)[number]);
    try {
      if (failed !== null) throw new Error(`an earlier commit failed: ${failed}`);
      if (store === null) throw new Error('the SQLite store is not open');
      store.commitChunked(commits.map((commit) => ({ ...(JSON.parse(commit.records) as Omit<ChunkedBatch, 'chunk'>), chunk: commit.chunk })));
      for (const commit of commits) reply({ id: commit.id, ok: true, value: null });
    } catch (error) {
      failed ??= (error as Error).message;
      for (const commit of commits) reply({ id: commit.id, ok: false, error: (error as Error).message });
    }
  }
});

async function handle(request: Exclude<WorkerRequest, { operation: 'commit' }>): Promise<unknown> {
  if (store === null) throw new Error('the SQLite store is not open');
  switch (request.operation) {
    case 'readEvents': return store.readEvents(request.fromSeq, request.toSeq, request.limit, request.maxBytes);
    case 'findByExternalId': return store.findByExternalId(request.submittedBy, request.externalId);
    case 'findSubmittedAt': return store.findSubmittedAt(request.interactionId);
    case 'readWebhookCursors': return store.readWebhookCursors();
    case 'saveWebhookCursor': return store.saveWebhookCursor(request.cursor);
    case 'load':
      load(request.id, new Int32Array(request.progress));
      return null;
    case 'close': {
      await store.close();
      store = null;
      setImmediate(() => port.close());
      return null;
    }
  }
}
