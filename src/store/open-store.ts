// Chooses the store from the store URL.

import { resolve } from 'node:path';
import type { Store } from './store.js';
import { SqliteWorkerStore } from './sqlite/worker-store.js';
import { PostgresStore, splitStoreUrl } from './postgres/postgres-store.js';

export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('The store URL "sqlite:" names no file; write sqlite:./openixn-data/openixn.db.');
    if (path === ':memory:') throw new Error('An in-memory store would lose everything at a stop; name a file: sqlite:./openixn-data/openixn.db.');
    return SqliteWorkerStore.open(resolve(path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // openixn's tables live in a schema of their own, named by the URL's `schema` parameter.
    const { url: connectionUrl, schema } = splitStoreUrl(url);
    return PostgresStore.open(connectionUrl, { schema });
  }
  throw new Error(`Unknown store URL "${url}": use sqlite:PATH.`);
}
