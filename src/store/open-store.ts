// Chooses the store from the store URL.

import { resolve } from 'node:path';
import type { Store } from './store.js';
import { SqliteWorkerStore } from './sqlite/worker-store.js';

export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('The store URL "sqlite:" names no file; write sqlite:./openixn-data/openixn.db.');
    if (path === ':memory:') throw new Error('An in-memory store would lose everything at a stop; name a file: sqlite:./openixn-data/openixn.db.');
    return SqliteWorkerStore.open(resolve(path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new Error('The PostgreSQL store is not in this version yet; use a sqlite: store URL.');
  }
  throw new Error(`Unknown store URL "${url}": use sqlite:PATH.`);
}
