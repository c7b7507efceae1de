// Chooses the store from the store URL.

import { resolve } from 'node:path';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export function openStore(url: string): Store {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('The store URL "sqlite:" names no file; write sqlite:./openixn-data/openixn.db.');
    return new SqliteStore(path === ':memory:' ? path : resolve(path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new Error('The PostgreSQL store is not in this version yet; use a sqlite: store URL.');
  }
  throw new Error(`Unknown store URL "${url}": use sqlite:PATH.`);
}
