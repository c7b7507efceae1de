// Chooses the store from the store URL: sqlite:PATH for the embedded store, postgres:// (or
// postgresql://) for PostgreSQL, with openixn's tables in the schema the URL's `schema` parameter
// names (default openixn).

import { resolve } from 'node:path';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { SqliteWorkerStore } from './sqlite/worker-store.js';
import { PostgresStore, splitStoreUrl } from './postgres/postgres-store.js';

type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

function locate(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('The store URL "sqlite:" names no file; write sqlite:./openixn-data/openixn.db.');
    if (path === ':memory:') throw new Error('An in-memory store would lose everything at a stop; name a file: sqlite:./openixn-data/openixn.db.');
    return { kind: 'sqlite', path: resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { url: connectionUrl, schema } = splitStoreUrl(url);
    return { kind: 'postgres', url: connectionUrl, schema };
  }
  throw new Error(`Unknown store URL "${url}": use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE.`);
}

/** Opens the store (migrating it first), as the server runs it. */
export async function openStore(url: string): Promise<Store> {
  const location = locate(url);
  if (location.kind === 'sqlite') return SqliteWorkerStore.open(location.path);
  return PostgresStore.open(location.url, { schema: location.schema });
}

/** Creates or migrates the store and closes it again (`openixn migrate`); returns the schema version. */
export async function migrateStore(url: string): Promise<{ version: number; where: string }> {
  const location = locate(url);
  if (location.kind === 'sqlite') {
    // Opening the store migrates it.
    const store = new SqliteStore(location.path);
    await store.close();
    return { version: SqliteStore.schemaVersion, where: location.path };
  }
  const version = await PostgresStore.migrate(location.url, { schema: location.schema });
  return { version, where: `schema ${location.schema}` };
}

/** The store URL as it may be logged: a password in it is masked. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}
